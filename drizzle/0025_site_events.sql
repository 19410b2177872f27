CREATE TABLE "site_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"merchant_id" uuid NOT NULL,
	"origin" text NOT NULL,
	"session_id" text NOT NULL,
	"click_token" text,
	"click_id" uuid,
	"click_status" text NOT NULL,
	"program_id" uuid,
	"influencer_id" uuid,
	"link_id" uuid,
	"url" text,
	"referrer" text,
	"user_agent" text,
	"ip_hash" text,
	"bot_score" smallint NOT NULL,
	"not_billable" text,
	"order_id" text,
	"revenue" numeric(20, 4),
	"currency" char(3),
	"conversion_id" uuid,
	CONSTRAINT "site_events_kind" CHECK ("site_events"."kind" in ('session', 'pageview', 'conversion'))
);
--> statement-breakpoint
CREATE TABLE "site_origins" (
	"merchant_id" uuid NOT NULL,
	"origin" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "site_origins_pkey" PRIMARY KEY("merchant_id","origin"),
	CONSTRAINT "site_origins_shape" CHECK ("site_origins"."origin" ~ '^https?://[a-z0-9.:\[\]-]+$')
);
--> statement-breakpoint
CREATE TABLE "site_sessions" (
	"merchant_id" uuid NOT NULL,
	"session_id" text NOT NULL,
	"click_id" uuid,
	"program_id" uuid,
	"influencer_id" uuid,
	"link_id" uuid,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"pageviews" integer NOT NULL,
	"max_bot_score" smallint NOT NULL,
	"not_billable" text,
	"qualified_at" timestamp with time zone,
	CONSTRAINT "site_sessions_pkey" PRIMARY KEY("merchant_id","session_id")
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "site_min_pageviews" smallint DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "site_min_seconds" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "site_billable" text[] DEFAULT '{qualified_session,conversion}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "site_bill_flagged" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "site_origins" ADD CONSTRAINT "site_origins_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "site_events_merchant_received_idx" ON "site_events" USING btree ("merchant_id","received_at");--> statement-breakpoint
CREATE INDEX "site_events_program_received_idx" ON "site_events" USING btree ("program_id","received_at") WHERE "site_events"."program_id" is not null;--> statement-breakpoint
CREATE INDEX "site_sessions_program_first_idx" ON "site_sessions" USING btree ("program_id","first_at") WHERE "site_sessions"."program_id" is not null;--> statement-breakpoint
ALTER TABLE "programs" ADD CONSTRAINT "programs_site_policy" CHECK ("programs"."site_min_pageviews" >= 1 and "programs"."site_min_seconds" >= 1 and "programs"."site_billable" <@ '{session,qualified_session,pageview,conversion}'::text[]);