-- Device-signal attribution looks up a shopper's earlier clicks by hashed IP inside the program's window
-- (and multi-touch models weigh them): without this, each conversion would scan a month of partitions.
CREATE INDEX "clicks_ip_hash_clicked_idx" ON "clicks" ("ip_hash", "clicked_at") WHERE "ip_hash" IS NOT NULL;
