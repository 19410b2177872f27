ALTER TYPE "public"."webhook_source" ADD VALUE 'internal';--> statement-breakpoint
ALTER TABLE "conversions" DROP CONSTRAINT "conversions_event_id_by_kind";--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_event_id_by_kind" CHECK (("conversions"."kind" in ('refund', 'subscription_renewal', 'click')) = ("conversions"."external_event_id" is not null));