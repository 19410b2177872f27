CREATE TABLE "click_rollups_campaign_daily" (
	"day" date NOT NULL,
	"campaign_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"clicks" bigint NOT NULL,
	"human_clicks" bigint NOT NULL,
	"unique_clicks" bigint NOT NULL,
	CONSTRAINT "click_rollups_campaign_daily_pkey" PRIMARY KEY("campaign_id","dim","day","value")
);
--> statement-breakpoint
CREATE TABLE "click_rollups_influencer_daily" (
	"day" date NOT NULL,
	"influencer_id" uuid NOT NULL,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"clicks" bigint NOT NULL,
	"human_clicks" bigint NOT NULL,
	"unique_clicks" bigint NOT NULL,
	CONSTRAINT "click_rollups_influencer_daily_pkey" PRIMARY KEY("influencer_id","dim","day","value")
);
--> statement-breakpoint
ALTER TABLE "click_rollups_program_daily" DROP CONSTRAINT "click_rollups_program_daily_key";--> statement-breakpoint
ALTER TABLE "click_rollups_program_hourly" DROP CONSTRAINT "click_rollups_program_hourly_key";--> statement-breakpoint
DROP INDEX "click_rollups_influencer_idx";--> statement-breakpoint
DROP INDEX "click_rollups_program_idx";--> statement-breakpoint
DROP INDEX "click_rollups_campaign_idx";--> statement-breakpoint
DROP INDEX "click_rollups_all_hour_idx";--> statement-breakpoint
DROP INDEX "click_rollups_link_daily_day_idx";--> statement-breakpoint
DROP INDEX "click_rollups_link_daily_program_idx";--> statement-breakpoint
DROP INDEX "click_rollups_program_daily_dim_idx";--> statement-breakpoint
DROP INDEX "click_rollups_program_daily_campaign_idx";--> statement-breakpoint
DROP INDEX "click_rollups_program_hourly_dim_idx";--> statement-breakpoint
DROP INDEX "click_rollups_program_hourly_campaign_idx";--> statement-breakpoint
ALTER TABLE "click_rollups_program_daily" ADD CONSTRAINT "click_rollups_program_daily_pkey" PRIMARY KEY("program_id","dim","day","value");--> statement-breakpoint
ALTER TABLE "click_rollups_program_hourly" ADD CONSTRAINT "click_rollups_program_hourly_pkey" PRIMARY KEY("program_id","dim","hour","value");--> statement-breakpoint
CREATE INDEX "click_rollups_influencer_cover_idx" ON "click_rollups_hourly" USING btree ("influencer_id","dim","hour","value","program_id","campaign_id","clicks","human_clicks","unique_clicks");--> statement-breakpoint
CREATE INDEX "click_rollups_campaign_cover_idx" ON "click_rollups_hourly" USING btree ("campaign_id","dim","hour","value","clicks","human_clicks","unique_clicks") WHERE "click_rollups_hourly"."campaign_id" is not null;--> statement-breakpoint
CREATE INDEX "click_rollups_all_hour_cover_idx" ON "click_rollups_hourly" USING btree ("hour","link_id","clicks","human_clicks","unique_clicks") WHERE "click_rollups_hourly"."dim" = 'all';--> statement-breakpoint
CREATE INDEX "click_rollups_link_daily_day_cover_idx" ON "click_rollups_link_daily" USING btree ("day","program_id","link_id","clicks","human_clicks","unique_clicks");--> statement-breakpoint
CREATE INDEX "click_rollups_program_daily_cover_idx" ON "click_rollups_program_daily" USING btree ("dim","day","program_id","value","clicks","human_clicks","unique_clicks");--> statement-breakpoint
CREATE INDEX "click_rollups_program_hourly_cover_idx" ON "click_rollups_program_hourly" USING btree ("dim","hour","program_id","value","clicks","human_clicks","unique_clicks");--> statement-breakpoint
ALTER TABLE "click_rollups_program_daily" DROP COLUMN "campaign_id";--> statement-breakpoint
ALTER TABLE "click_rollups_program_hourly" DROP COLUMN "campaign_id";