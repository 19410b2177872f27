CREATE TABLE "click_rollups_link_daily" (
	"day" date NOT NULL,
	"link_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"campaign_id" uuid,
	"clicks" bigint NOT NULL,
	"human_clicks" bigint NOT NULL,
	"unique_clicks" bigint NOT NULL,
	CONSTRAINT "click_rollups_link_daily_pkey" PRIMARY KEY("link_id","day")
);
--> statement-breakpoint
CREATE TABLE "click_rollups_program_daily" (
	"day" date NOT NULL,
	"program_id" uuid NOT NULL,
	"campaign_id" uuid,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"clicks" bigint NOT NULL,
	"human_clicks" bigint NOT NULL,
	"unique_clicks" bigint NOT NULL,
	CONSTRAINT "click_rollups_program_daily_key" UNIQUE NULLS NOT DISTINCT("program_id","dim","day","campaign_id","value")
);
--> statement-breakpoint
CREATE TABLE "click_rollups_program_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"program_id" uuid NOT NULL,
	"campaign_id" uuid,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"clicks" bigint NOT NULL,
	"human_clicks" bigint NOT NULL,
	"unique_clicks" bigint NOT NULL,
	CONSTRAINT "click_rollups_program_hourly_key" UNIQUE NULLS NOT DISTINCT("program_id","dim","hour","campaign_id","value")
);
--> statement-breakpoint
CREATE TABLE "sales_rollups_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"influencer_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"link_id" uuid,
	"campaign_id" uuid,
	"currency" char(3) NOT NULL,
	"status" "commission_status" NOT NULL,
	"event_kind" "event_kind" NOT NULL,
	"commissions" bigint NOT NULL,
	"conversions" bigint NOT NULL,
	"revenue_minor" bigint NOT NULL,
	"gross_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"net_minor" bigint NOT NULL,
	"reversed_gross_minor" bigint NOT NULL,
	"reversed_fee_minor" bigint NOT NULL,
	"reversed_net_minor" bigint NOT NULL,
	CONSTRAINT "sales_rollups_hourly_key" UNIQUE NULLS NOT DISTINCT("influencer_id","hour","program_id","link_id","currency","status","event_kind")
);
--> statement-breakpoint
CREATE INDEX "click_rollups_link_daily_day_idx" ON "click_rollups_link_daily" USING btree ("day");--> statement-breakpoint
CREATE INDEX "click_rollups_link_daily_influencer_idx" ON "click_rollups_link_daily" USING btree ("influencer_id","day");--> statement-breakpoint
CREATE INDEX "click_rollups_link_daily_program_idx" ON "click_rollups_link_daily" USING btree ("program_id","day");--> statement-breakpoint
CREATE INDEX "click_rollups_program_daily_dim_idx" ON "click_rollups_program_daily" USING btree ("dim","day");--> statement-breakpoint
CREATE INDEX "click_rollups_program_daily_campaign_idx" ON "click_rollups_program_daily" USING btree ("campaign_id","dim","day") WHERE "click_rollups_program_daily"."campaign_id" is not null;--> statement-breakpoint
CREATE INDEX "click_rollups_program_hourly_dim_idx" ON "click_rollups_program_hourly" USING btree ("dim","hour");--> statement-breakpoint
CREATE INDEX "click_rollups_program_hourly_campaign_idx" ON "click_rollups_program_hourly" USING btree ("campaign_id","dim","hour") WHERE "click_rollups_program_hourly"."campaign_id" is not null;--> statement-breakpoint
CREATE INDEX "sales_rollups_hour_idx" ON "sales_rollups_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "sales_rollups_program_idx" ON "sales_rollups_hourly" USING btree ("program_id","hour");--> statement-breakpoint
CREATE INDEX "sales_rollups_link_idx" ON "sales_rollups_hourly" USING btree ("link_id","hour") WHERE "sales_rollups_hourly"."link_id" is not null;--> statement-breakpoint
CREATE INDEX "sales_rollups_campaign_idx" ON "sales_rollups_hourly" USING btree ("campaign_id","hour") WHERE "sales_rollups_hourly"."campaign_id" is not null;--> statement-breakpoint
CREATE INDEX "click_rollups_all_hour_idx" ON "click_rollups_hourly" USING btree ("hour") WHERE "click_rollups_hourly"."dim" = 'all';