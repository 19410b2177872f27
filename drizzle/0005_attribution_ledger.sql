CREATE TABLE "coupon_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"merchant_id" uuid NOT NULL,
	"program_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"code" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coupon_codes_merchant_code_uq" UNIQUE("merchant_id","code"),
	CONSTRAINT "coupon_codes_code_upper" CHECK ("coupon_codes"."code" = upper("coupon_codes"."code"))
);
--> statement-breakpoint
ALTER TABLE "commissions" ADD COLUMN "calculation_details" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "attributions" ADD COLUMN "details" jsonb;--> statement-breakpoint
ALTER TABLE "conversions" ADD COLUMN "click_id_problem" text;--> statement-breakpoint
ALTER TABLE "conversions" ADD COLUMN "is_test" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "coupon_codes" ADD CONSTRAINT "coupon_codes_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_codes" ADD CONSTRAINT "coupon_codes_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_codes" ADD CONSTRAINT "coupon_codes_influencer_id_influencers_id_fk" FOREIGN KEY ("influencer_id") REFERENCES "public"."influencers"("id") ON DELETE restrict ON UPDATE no action;