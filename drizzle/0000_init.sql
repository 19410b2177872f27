CREATE TYPE "public"."attribution_evidence" AS ENUM('click_id', 'sub_id', 'coupon', 'cookie', 'device');--> statement-breakpoint
CREATE TYPE "public"."attribution_model" AS ENUM('last_click', 'first_click', 'linear', 'time_decay');--> statement-breakpoint
CREATE TYPE "public"."commission_status" AS ENUM('pending', 'approved', 'paid', 'reversed');--> statement-breakpoint
CREATE TYPE "public"."commission_type" AS ENUM('percent', 'fixed');--> statement-breakpoint
CREATE TYPE "public"."commissionable_base" AS ENUM('subtotal_after_discounts', 'subtotal', 'total');--> statement-breakpoint
CREATE TYPE "public"."event_kind" AS ENUM('click', 'lead', 'sale', 'refund', 'subscription_renewal');--> statement-breakpoint
CREATE TYPE "public"."ledger_entry_type" AS ENUM('commission_earned', 'commission_reversed', 'platform_fee', 'payout', 'clawback', 'adjustment');--> statement-breakpoint
CREATE TYPE "public"."membership_status" AS ENUM('pending', 'approved', 'rejected', 'suspended');--> statement-breakpoint
CREATE TYPE "public"."payout_method" AS ENUM('stripe_connect', 'paypal', 'ach', 'manual');--> statement-breakpoint
CREATE TYPE "public"."payout_run_status" AS ENUM('pending', 'running', 'completed', 'failed');--> statement-breakpoint
CREATE TYPE "public"."payout_status" AS ENUM('initiated', 'processing', 'paid', 'failed');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('admin', 'merchant', 'influencer');--> statement-breakpoint
CREATE TYPE "public"."webhook_event_status" AS ENUM('received', 'processed', 'failed', 'ignored');--> statement-breakpoint
CREATE TYPE "public"."webhook_source" AS ENUM('shopify', 'stripe', 'refersion', 'impact', 'postback', 's2s', 'csv_import', 'snippet');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"user_id" uuid,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_key_hash_sha256" CHECK ("api_keys"."key_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"email" text NOT NULL,
	"password_hash" text,
	"role" "user_role" NOT NULL,
	"merchant_id" uuid,
	"influencer_id" uuid,
	"last_login_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email"),
	CONSTRAINT "users_email_lower" CHECK ("users"."email" = lower("users"."email")),
	CONSTRAINT "users_merchant_scope" CHECK ("users"."role" <> 'merchant' or "users"."merchant_id" is not null),
	CONSTRAINT "users_influencer_scope" CHECK ("users"."role" <> 'influencer' or "users"."influencer_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "commissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversion_id" uuid NOT NULL,
	"attribution_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"event_kind" "event_kind" NOT NULL,
	"currency" char(3) NOT NULL,
	"base_minor" bigint NOT NULL,
	"rate" numeric(9, 6),
	"gross_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"net_minor" bigint NOT NULL,
	"status" "commission_status" DEFAULT 'pending' NOT NULL,
	"hold_until" timestamp with time zone NOT NULL,
	"approved_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"payout_id" uuid,
	"reversed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commissions_attribution_kind_uq" UNIQUE("attribution_id","event_kind"),
	CONSTRAINT "commissions_amounts" CHECK ("commissions"."gross_minor" = "commissions"."fee_minor" + "commissions"."net_minor" and "commissions"."fee_minor" >= 0 and "commissions"."net_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reversals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"commission_id" uuid NOT NULL,
	"refund_conversion_id" uuid,
	"gross_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"net_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reversals_commission_refund_uq" UNIQUE("commission_id","refund_conversion_id"),
	CONSTRAINT "reversals_amounts" CHECK ("reversals"."gross_minor" = "reversals"."fee_minor" + "reversals"."net_minor" and "reversals"."fee_minor" >= 0 and "reversals"."net_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"actor_api_key_id" uuid,
	"org_id" uuid,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"ip_hash" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subject_hash" text NOT NULL,
	"purpose" text NOT NULL,
	"granted" boolean NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attributions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversion_id" uuid NOT NULL,
	"click_id" uuid,
	"clicked_at" timestamp with time zone,
	"link_id" uuid,
	"influencer_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"model" "attribution_model" NOT NULL,
	"evidence" "attribution_evidence" NOT NULL,
	"window_days" integer NOT NULL,
	"weight_num" bigint DEFAULT 1 NOT NULL,
	"weight_den" bigint DEFAULT 1 NOT NULL,
	"confidence" numeric(4, 3) DEFAULT '1.000' NOT NULL,
	"billable" boolean DEFAULT true NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attributions_conversion_influencer_uq" UNIQUE("conversion_id","influencer_id"),
	CONSTRAINT "attributions_weight_fraction" CHECK ("attributions"."weight_den" > 0 and "attributions"."weight_num" >= 0 and "attributions"."weight_num" <= "attributions"."weight_den"),
	CONSTRAINT "attributions_confidence_range" CHECK ("attributions"."confidence" between 0 and 1)
);
--> statement-breakpoint
CREATE TABLE "conversions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"merchant_id" uuid NOT NULL,
	"program_id" uuid,
	"webhook_event_id" uuid,
	"device_id" uuid,
	"source" "webhook_source" NOT NULL,
	"external_order_id" text NOT NULL,
	"external_event_id" text,
	"kind" "event_kind" NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"currency" char(3) NOT NULL,
	"subtotal" numeric(20, 4),
	"discount" numeric(20, 4),
	"tax" numeric(20, 4),
	"shipping" numeric(20, 4),
	"total" numeric(20, 4) NOT NULL,
	"line_items" jsonb,
	"click_id" uuid,
	"sub_id" text,
	"coupon_code" text,
	"customer_email_hash" text,
	"ip_hash" text,
	"parent_conversion_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversions_identity_uq" UNIQUE NULLS NOT DISTINCT("merchant_id","kind","external_order_id","external_event_id"),
	CONSTRAINT "conversions_event_id_by_kind" CHECK (("conversions"."kind" in ('refund', 'subscription_renewal')) = ("conversions"."external_event_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"secret_ciphertext" "bytea" NOT NULL,
	"previous_secret_ciphertext" "bytea",
	"previous_expires_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "devices_org_name_uq" UNIQUE("org_id","name")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"entry_type" "ledger_entry_type" NOT NULL,
	"influencer_id" uuid,
	"merchant_id" uuid,
	"commission_id" uuid,
	"reversal_id" uuid,
	"payout_id" uuid,
	"currency" char(3) NOT NULL,
	"amount_minor" bigint NOT NULL,
	"idempotency_key" text NOT NULL,
	"memo" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "ledger_entries_one_party" CHECK (num_nonnulls("ledger_entries"."influencer_id", "ledger_entries"."merchant_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "tracking_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"program_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"campaign_id" uuid,
	"product_id" uuid,
	"asset" text,
	"destination_url" text NOT NULL,
	"utm" jsonb,
	"network_params" jsonb,
	"active" boolean DEFAULT true NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deactivated_at" timestamp with time zone,
	CONSTRAINT "tracking_links_slug_unique" UNIQUE("slug"),
	CONSTRAINT "tracking_links_creator_route_uq" UNIQUE NULLS NOT DISTINCT("influencer_id","campaign_id","asset")
);
--> statement-breakpoint
CREATE TABLE "influencers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"handle" text NOT NULL,
	"display_name" text NOT NULL,
	"email" text,
	"payout_method" "payout_method",
	"payout_account" text,
	"min_payout_minor" bigint,
	"currency" char(3) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "influencers_handle_unique" UNIQUE("handle"),
	CONSTRAINT "influencers_handle_lower" CHECK ("influencers"."handle" = lower("influencers"."handle")),
	CONSTRAINT "influencers_email_lower" CHECK ("influencers"."email" = lower("influencers"."email"))
);
--> statement-breakpoint
CREATE TABLE "merchants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"default_currency" char(3) NOT NULL,
	"website_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "merchants_slug_unique" UNIQUE("slug"),
	CONSTRAINT "merchants_slug_lower" CHECK ("merchants"."slug" = lower("merchants"."slug"))
);
--> statement-breakpoint
CREATE TABLE "networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"click_param" text,
	"sub_id_param" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "networks_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"merchant_id" uuid NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"price_minor" bigint,
	"currency" char(3),
	"url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_merchant_sku_uq" UNIQUE("merchant_id","sku"),
	CONSTRAINT "products_price_has_currency" CHECK (("products"."price_minor" is null) = ("products"."currency" is null))
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organisations_slug_unique" UNIQUE("slug"),
	CONSTRAINT "organisations_slug_lower" CHECK ("organisations"."slug" = lower("organisations"."slug"))
);
--> statement-breakpoint
CREATE TABLE "payout_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"period" text NOT NULL,
	"currency" char(3) NOT NULL,
	"status" "payout_run_status" DEFAULT 'pending' NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payout_runs_period_currency_uq" UNIQUE("period","currency")
);
--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid,
	"influencer_id" uuid NOT NULL,
	"period" text NOT NULL,
	"currency" char(3) NOT NULL,
	"method" "payout_method" NOT NULL,
	"status" "payout_status" DEFAULT 'initiated' NOT NULL,
	"gross_minor" bigint NOT NULL,
	"platform_fee_minor" bigint DEFAULT 0 NOT NULL,
	"processing_fee_minor" bigint DEFAULT 0 NOT NULL,
	"net_minor" bigint NOT NULL,
	"idempotency_key" text NOT NULL,
	"provider_ref" text,
	"failure_reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	CONSTRAINT "payouts_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payouts_amounts" CHECK ("payouts"."net_minor" = "payouts"."gross_minor" - "payouts"."platform_fee_minor" - "payouts"."processing_fee_minor" and "payouts"."net_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "bounties" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_id" uuid NOT NULL,
	"name" text NOT NULL,
	"goal" jsonb NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"boost_rate" numeric(9, 6),
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_program_slug_uq" UNIQUE("program_id","slug"),
	CONSTRAINT "campaigns_id_program_uq" UNIQUE("id","program_id"),
	CONSTRAINT "campaigns_period" CHECK ("campaigns"."ends_at" is null or "campaigns"."starts_at" is null or "campaigns"."ends_at" > "campaigns"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "commission_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_id" uuid NOT NULL,
	"event_kind" "event_kind" NOT NULL,
	"commission_type" "commission_type" NOT NULL,
	"rate" numeric(9, 6),
	"fixed_minor" bigint,
	"currency" char(3),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "commission_rules_program_kind_uq" UNIQUE("program_id","event_kind"),
	CONSTRAINT "commission_rules_shape" CHECK (("commission_rules"."commission_type" = 'percent' and "commission_rules"."rate" between 0 and 1) or ("commission_rules"."commission_type" = 'fixed' and "commission_rules"."fixed_minor" is not null and "commission_rules"."currency" is not null))
);
--> statement-breakpoint
CREATE TABLE "program_memberships" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"status" "membership_status" DEFAULT 'approved' NOT NULL,
	"rate_override" numeric(9, 6),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "program_memberships_pair_uq" UNIQUE("program_id","influencer_id")
);
--> statement-breakpoint
CREATE TABLE "programs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"merchant_id" uuid NOT NULL,
	"network_id" uuid,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"currency" char(3) NOT NULL,
	"commission_type" "commission_type" DEFAULT 'percent' NOT NULL,
	"commission_rate" numeric(9, 6),
	"commission_fixed_minor" bigint,
	"cookie_window_days" integer DEFAULT 7 NOT NULL,
	"attribution_model" "attribution_model" DEFAULT 'last_click' NOT NULL,
	"time_decay_half_life_hours" integer,
	"tiers" jsonb,
	"excluded_skus" text[] DEFAULT '{}'::text[] NOT NULL,
	"platform_fee_rate" numeric(9, 6) DEFAULT '0.200000' NOT NULL,
	"hold_days" integer DEFAULT 30 NOT NULL,
	"min_payout_minor" bigint DEFAULT 5000 NOT NULL,
	"commissionable_base" "commissionable_base" DEFAULT 'subtotal_after_discounts' NOT NULL,
	"recurring_months" integer,
	"bot_score_threshold" smallint DEFAULT 80 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "programs_merchant_slug_uq" UNIQUE("merchant_id","slug"),
	CONSTRAINT "programs_commission_shape" CHECK (("programs"."commission_type" = 'percent' and "programs"."commission_rate" is not null) or ("programs"."commission_type" = 'fixed' and "programs"."commission_fixed_minor" is not null)),
	CONSTRAINT "programs_rate_range" CHECK ("programs"."commission_rate" between 0 and 1 and "programs"."platform_fee_rate" between 0 and 1),
	CONSTRAINT "programs_windows_positive" CHECK ("programs"."cookie_window_days" > 0 and "programs"."hold_days" >= 0),
	CONSTRAINT "programs_time_decay_half_life" CHECK ("programs"."attribution_model" <> 'time_decay' or "programs"."time_decay_half_life_hours" > 0),
	CONSTRAINT "programs_bot_score_range" CHECK ("programs"."bot_score_threshold" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" "webhook_source" NOT NULL,
	"external_id" text NOT NULL,
	"merchant_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"headers" jsonb NOT NULL,
	"raw_body" text NOT NULL,
	"signature_valid" boolean NOT NULL,
	"status" "webhook_event_status" DEFAULT 'received' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "webhook_events_dedupe_uq" UNIQUE NULLS NOT DISTINCT("source","merchant_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "webhook_secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"merchant_id" uuid NOT NULL,
	"source" "webhook_source" NOT NULL,
	"key_id" text NOT NULL,
	"secret_ciphertext" "bytea" NOT NULL,
	"slot" smallint NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "webhook_secrets_key_uq" UNIQUE("merchant_id","source","key_id"),
	CONSTRAINT "webhook_secrets_slot_range" CHECK ("webhook_secrets"."slot" in (1, 2))
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_conversion_id_conversions_id_fk" FOREIGN KEY ("conversion_id") REFERENCES "public"."conversions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_attribution_id_attributions_id_fk" FOREIGN KEY ("attribution_id") REFERENCES "public"."attributions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commissions" ADD CONSTRAINT "commissions_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reversals" ADD CONSTRAINT "reversals_commission_id_commissions_id_fk" FOREIGN KEY ("commission_id") REFERENCES "public"."commissions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reversals" ADD CONSTRAINT "reversals_refund_conversion_id_conversions_id_fk" FOREIGN KEY ("refund_conversion_id") REFERENCES "public"."conversions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_api_key_id_api_keys_id_fk" FOREIGN KEY ("actor_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_conversion_id_conversions_id_fk" FOREIGN KEY ("conversion_id") REFERENCES "public"."conversions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_link_id_tracking_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."tracking_links"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attributions" ADD CONSTRAINT "attributions_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_webhook_event_id_webhook_events_id_fk" FOREIGN KEY ("webhook_event_id") REFERENCES "public"."webhook_events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_parent_conversion_id_conversions_id_fk" FOREIGN KEY ("parent_conversion_id") REFERENCES "public"."conversions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_commission_id_commissions_id_fk" FOREIGN KEY ("commission_id") REFERENCES "public"."commissions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reversal_id_reversals_id_fk" FOREIGN KEY ("reversal_id") REFERENCES "public"."reversals"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_campaign_program_fk" FOREIGN KEY ("campaign_id","program_id") REFERENCES "public"."campaigns"("id","program_id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "influencers" ADD CONSTRAINT "influencers_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchants" ADD CONSTRAINT "merchants_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_run_id_payout_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."payout_runs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bounties" ADD CONSTRAINT "bounties_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "commission_rules" ADD CONSTRAINT "commission_rules_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "program_memberships" ADD CONSTRAINT "program_memberships_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "program_memberships" ADD CONSTRAINT "program_memberships_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programs" ADD CONSTRAINT "programs_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programs" ADD CONSTRAINT "programs_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_secrets" ADD CONSTRAINT "webhook_secrets_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_org_id_idx" ON "api_keys" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "api_keys_user_id_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "users_org_id_idx" ON "users" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "commissions_influencer_status_idx" ON "commissions" USING btree ("influencer_id","status");--> statement-breakpoint
CREATE INDEX "commissions_pending_hold_idx" ON "commissions" USING btree ("hold_until") WHERE "commissions"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "commissions_conversion_idx" ON "commissions" USING btree ("conversion_id");--> statement-breakpoint
CREATE INDEX "commissions_payout_idx" ON "commissions" USING btree ("payout_id") WHERE "commissions"."payout_id" is not null;--> statement-breakpoint
CREATE INDEX "commissions_program_created_idx" ON "commissions" USING btree ("program_id","created_at");--> statement-breakpoint
CREATE INDEX "reversals_refund_idx" ON "reversals" USING btree ("refund_conversion_id");--> statement-breakpoint
CREATE INDEX "audit_log_org_occurred_idx" ON "audit_log" USING btree ("org_id","occurred_at");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "audit_log_actor_user_idx" ON "audit_log" USING btree ("actor_user_id");--> statement-breakpoint
CREATE INDEX "consents_subject_purpose_idx" ON "consents" USING btree ("subject_hash","purpose","created_at");--> statement-breakpoint
CREATE INDEX "attributions_influencer_idx" ON "attributions" USING btree ("influencer_id","created_at");--> statement-breakpoint
CREATE INDEX "attributions_link_idx" ON "attributions" USING btree ("link_id");--> statement-breakpoint
CREATE INDEX "attributions_click_idx" ON "attributions" USING btree ("click_id") WHERE "attributions"."click_id" is not null;--> statement-breakpoint
CREATE INDEX "conversions_merchant_occurred_idx" ON "conversions" USING btree ("merchant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "conversions_click_id_idx" ON "conversions" USING btree ("click_id") WHERE "conversions"."click_id" is not null;--> statement-breakpoint
CREATE INDEX "conversions_coupon_idx" ON "conversions" USING btree ("merchant_id","coupon_code") WHERE "conversions"."coupon_code" is not null;--> statement-breakpoint
CREATE INDEX "conversions_parent_idx" ON "conversions" USING btree ("parent_conversion_id") WHERE "conversions"."parent_conversion_id" is not null;--> statement-breakpoint
CREATE INDEX "conversions_webhook_event_idx" ON "conversions" USING btree ("webhook_event_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_influencer_idx" ON "ledger_entries" USING btree ("influencer_id","currency","occurred_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_merchant_idx" ON "ledger_entries" USING btree ("merchant_id","currency","occurred_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_commission_idx" ON "ledger_entries" USING btree ("commission_id") WHERE "ledger_entries"."commission_id" is not null;--> statement-breakpoint
CREATE INDEX "ledger_entries_payout_idx" ON "ledger_entries" USING btree ("payout_id") WHERE "ledger_entries"."payout_id" is not null;--> statement-breakpoint
CREATE INDEX "tracking_links_program_id_idx" ON "tracking_links" USING btree ("program_id");--> statement-breakpoint
CREATE INDEX "tracking_links_campaign_id_idx" ON "tracking_links" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "influencers_org_id_idx" ON "influencers" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "merchants_org_id_idx" ON "merchants" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_influencer_period_live_uq" ON "payouts" USING btree ("influencer_id","period","currency") WHERE "payouts"."status" <> 'failed';--> statement-breakpoint
CREATE INDEX "payouts_run_id_idx" ON "payouts" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "payouts_status_idx" ON "payouts" USING btree ("status");--> statement-breakpoint
CREATE INDEX "program_memberships_influencer_idx" ON "program_memberships" USING btree ("influencer_id");--> statement-breakpoint
CREATE INDEX "webhook_events_pending_idx" ON "webhook_events" USING btree ("next_attempt_at") WHERE "webhook_events"."status" in ('received', 'failed');--> statement-breakpoint
CREATE INDEX "webhook_events_merchant_received_idx" ON "webhook_events" USING btree ("merchant_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_secrets_active_slot_uq" ON "webhook_secrets" USING btree ("merchant_id","source","slot") WHERE "webhook_secrets"."active";