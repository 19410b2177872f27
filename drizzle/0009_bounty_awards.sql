ALTER TYPE "public"."event_kind" ADD VALUE 'bounty';--> statement-breakpoint
ALTER TABLE "commissions" DROP CONSTRAINT "commissions_attribution_kind_uq";--> statement-breakpoint
ALTER TABLE "commissions" ADD COLUMN "bounty_id" uuid;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_bounty_id_bounties_id_fk" FOREIGN KEY ("bounty_id") REFERENCES "public"."bounties"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "commissions_bounty_influencer_uq" ON "commissions" USING btree ("bounty_id","influencer_id") WHERE "commissions"."bounty_id" is not null;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_attribution_kind_uq" UNIQUE NULLS NOT DISTINCT("attribution_id","event_kind","bounty_id");--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_bounty_kind" CHECK (("commissions"."event_kind"::text = 'bounty') = ("commissions"."bounty_id" is not null));