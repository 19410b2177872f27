-- The coarser click rollups change shape (drizzle/0019): per program without campaign, and new daily ones per
-- influencer and campaign. They are derived from click_rollups_hourly, so they are emptied here and rebuilt by
-- drizzle/0020 in this same transaction; writers wait meanwhile (the SHARE locks), so no click lands in between.
LOCK TABLE clicks, click_rollups_hourly IN SHARE MODE;
--> statement-breakpoint
TRUNCATE click_rollups_link_daily, click_rollups_program_hourly, click_rollups_program_daily;
