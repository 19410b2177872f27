ALTER TABLE "sessions" ADD COLUMN "ip_hash" text;--> statement-breakpoint
CREATE INDEX "sessions_ip_hash_created_idx" ON "sessions" USING btree ("ip_hash","created_at");