// One statement per batch of snippet events ($1: a JSON array of PendingEvent): look up each event's click (by id
// and time, so one daily partition is read), decide what the click id is worth, append the events, and fold the
// inserted ones into their sessions. A batch retried after a commit whose reply was lost inserts nothing twice
// (ids), and only inserted rows reach the sessions, so pageviews are never counted twice either.
//
// An event's bot score is the higher of its own signals and its click's: a bot's click makes a bot's session.
// not_billable says why an event cannot be billed on its facts; which kinds are billed is the program's policy,
// applied when stats are read (so a policy change applies to past events too).
export const FLUSH_SQL = `
with e as (
  select * from jsonb_to_recordset($1::text::jsonb) as t(
    id uuid, received_at timestamptz, kind text, merchant_id uuid, origin text, session_id text, click_token text,
    click_id uuid, clicked_at timestamptz, click_status text, url text, referrer text, user_agent text, ip_hash text,
    bot_score smallint, order_id text, revenue numeric, currency text, conversion_id uuid)
),
j as (
  select e.*, c.program_id as c_program, c.influencer_id as c_influencer, c.link_id as c_link,
         greatest(e.bot_score, coalesce(c.bot_score, 0), case when c.is_bot then 100 else 0 end)::smallint as score,
         p.id as p_id, p.active, p.cookie_window_days, p.bot_score_threshold
    from e
    left join clicks c on c.id = e.click_id and c.clicked_at = e.clicked_at
    left join programs p on p.id = c.program_id and p.merchant_id = e.merchant_id
),
v as (
  select j.*,
         case when j.click_status <> 'valid' then j.click_status
              when j.c_program is null then 'unknown_click'
              when j.p_id is null then 'foreign_click'
              when j.received_at - j.clicked_at > make_interval(days => j.cookie_window_days) then 'expired'
              else 'valid' end as status
    from j
),
ins as (
  insert into site_events (id, received_at, kind, merchant_id, origin, session_id, click_token, click_id,
                           click_status, program_id, influencer_id, link_id, url, referrer, user_agent, ip_hash,
                           bot_score, not_billable, order_id, revenue, currency, conversion_id)
  select id, received_at, kind, merchant_id, origin, session_id, click_token, click_id, status, p_id,
         case when p_id is not null then c_influencer end, case when p_id is not null then c_link end,
         url, referrer, user_agent, ip_hash, score,
         case when status <> 'valid' then status
              when score >= bot_score_threshold then 'bot'
              when not active then 'program_inactive' end,
         order_id, revenue, currency, conversion_id
    from v
  on conflict (id) do nothing
  returning kind, merchant_id, session_id, received_at, id, click_id, program_id, influencer_id, link_id,
            bot_score, not_billable
),
s as (
  select merchant_id, session_id,
         (array_agg(click_id order by received_at, id))[1] as click_id,
         (array_agg(program_id order by received_at, id))[1] as program_id,
         (array_agg(influencer_id order by received_at, id))[1] as influencer_id,
         (array_agg(link_id order by received_at, id))[1] as link_id,
         min(received_at) as first_at, max(received_at) as last_at,
         count(*) filter (where kind = 'pageview')::int as pageviews,
         max(bot_score) as max_bot,
         nullif((array_agg(coalesce(not_billable, '') order by received_at, id))[1], '') as not_billable
    from ins where kind in ('session', 'pageview')
   group by merchant_id, session_id
)
insert into site_sessions as ss (merchant_id, session_id, click_id, program_id, influencer_id, link_id, first_at,
                                 last_at, pageviews, max_bot_score, not_billable, qualified_at)
select s.merchant_id, s.session_id, s.click_id, s.program_id, s.influencer_id, s.link_id, s.first_at, s.last_at,
       s.pageviews, s.max_bot, s.not_billable,
       case when s.not_billable is null and p.id is not null and s.max_bot < p.bot_score_threshold
             and (s.pageviews >= p.site_min_pageviews
                  or s.last_at - s.first_at >= make_interval(secs => p.site_min_seconds))
            then s.last_at end
  from s left join programs p on p.id = s.program_id
on conflict (merchant_id, session_id) do update set
  first_at = least(ss.first_at, excluded.first_at),
  last_at = greatest(ss.last_at, excluded.last_at),
  pageviews = ss.pageviews + excluded.pageviews,
  max_bot_score = greatest(ss.max_bot_score, excluded.max_bot_score),
  qualified_at = coalesce(ss.qualified_at, (
    select greatest(ss.last_at, excluded.last_at) from programs p
     where p.id = ss.program_id and ss.not_billable is null
       and greatest(ss.max_bot_score, excluded.max_bot_score) < p.bot_score_threshold
       and (ss.pageviews + excluded.pageviews >= p.site_min_pageviews
            or greatest(ss.last_at, excluded.last_at) - least(ss.first_at, excluded.first_at)
               >= make_interval(secs => p.site_min_seconds))))
`
