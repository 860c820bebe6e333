{#-
  Pipeline waterfall per period and scope: how the open pipeline due in the period (expected
  close date in it) moved from the opening date (the day before the period starts) to the
  closing date (its end, or as_of_date while it runs), as the loads reported it then. The
  opportunities and their entry and exit are int_pipeline_waterfall's. Scope: the owner, team
  and region at the opening date for the opening balance, at the closing date for everything
  else; a deal that changed scope between the two moves out of the first (transferred_out) and
  into the second (transferred_in) with its opening amount; at company level nothing transfers.
  A change of amount of a deal in the opening balance is amount_up / amount_down (closing
  amount − opening amount); every other movement is valued at the closing amount (a deal gone
  from the CRM: lost, at its opening amount). Identity, per row:
    opening + new + pulled_in + transferred_in + amount_up
      − amount_down − pushed_out − won − lost − transferred_out = closing
  The company row exists for every period of int_pipeline_waterfall_windows (zeros when no deal
  moved); another scope for the periods in which one of its deals moved.
-#}
with

levels as (

    {{ scope_levels() }}

),

waterfall as (

    select * from {{ ref('int_pipeline_waterfall') }}

),

windows as (

    select * from {{ ref('int_pipeline_waterfall_windows') }}

),

scoped as (

    select
        waterfall.*,
        levels.level,
        {{ scope_id_for(
            'levels.level', 'waterfall.opening_rep_id', 'waterfall.opening_team', 'waterfall.opening_region'
        ) }} as opening_scope_id,
        {{ scope_id_for(
            'levels.level', 'waterfall.closing_rep_id', 'waterfall.closing_team', 'waterfall.closing_region'
        ) }} as closing_scope_id
    from waterfall
    cross join levels

),

movements as (

    -- how the deal entered
    select
        period_type,
        period,
        level,
        case when entry = 'opening' then opening_scope_id else closing_scope_id end as scope_id,
        opportunity_id,
        entry as movement,
        case when entry = 'opening' then opening_amount else closing_amount end as amount
    from scoped

    union all

    -- a deal of the opening balance that changed scope
    select
        period_type,
        period,
        level,
        opening_scope_id as scope_id,
        opportunity_id,
        'transferred_out' as movement,
        opening_amount as amount
    from scoped
    where
        entry = 'opening'
        and closing_amount is not null
        and opening_scope_id is distinct from closing_scope_id

    union all

    select
        period_type,
        period,
        level,
        closing_scope_id as scope_id,
        opportunity_id,
        'transferred_in' as movement,
        opening_amount as amount
    from scoped
    where
        entry = 'opening'
        and closing_amount is not null
        and opening_scope_id is distinct from closing_scope_id

    union all

    -- a change of amount of a deal of the opening balance
    select
        period_type,
        period,
        level,
        closing_scope_id as scope_id,
        opportunity_id,
        case when closing_amount > opening_amount then 'amount_up' else 'amount_down' end as movement,
        abs(closing_amount - opening_amount) as amount
    from scoped
    where
        entry = 'opening'
        and closing_amount != opening_amount

    union all

    -- how the deal left, or the closing balance
    select
        period_type,
        period,
        level,
        case when closing_amount is null then opening_scope_id else closing_scope_id end as scope_id,
        opportunity_id,
        exit as movement,
        coalesce(closing_amount, opening_amount) as amount
    from scoped

),

by_scope as (

    select
        period_type,
        period,
        level,
        scope_id,
        count(*) filter (where movement = 'opening') as opening_opportunities,
        sum(amount) filter (where movement = 'opening') as opening_balance,
        sum(amount) filter (where movement = 'new') as new_amount,
        sum(amount) filter (where movement = 'pulled_in') as pulled_in,
        sum(amount) filter (where movement = 'pushed_out') as pushed_out,
        sum(amount) filter (where movement = 'amount_up') as amount_up,
        sum(amount) filter (where movement = 'amount_down') as amount_down,
        sum(amount) filter (where movement = 'won') as won,
        sum(amount) filter (where movement = 'lost') as lost,
        sum(amount) filter (where movement = 'transferred_in') as transferred_in,
        sum(amount) filter (where movement = 'transferred_out') as transferred_out,
        count(*) filter (where movement = 'closing') as closing_opportunities,
        sum(amount) filter (where movement = 'closing') as closing_balance
    from movements
    where scope_id is not null
    group by all

),

scopes as (

    select
        period_type,
        period,
        'company' as level,
        'all' as scope_id
    from windows

    union

    select
        period_type,
        period,
        level,
        scope_id
    from by_scope

),

final as (

    select
        windows.period_type,
        windows.period,
        windows.period_start,
        windows.period_end,
        windows.opening_date,
        windows.closing_date,
        windows.is_history_complete,
        scopes.level,
        scopes.scope_id,
        cast(coalesce(by_scope.opening_opportunities, 0) as bigint) as opening_opportunities,
        {%- for column in [
            'opening_balance', 'new_amount', 'pulled_in', 'pushed_out', 'amount_up', 'amount_down',
            'won', 'lost', 'transferred_in', 'transferred_out'
        ] %}
        cast(coalesce(by_scope.{{ column }}, 0) as decimal(38, 2)) as {{ column }},
        {%- endfor %}
        cast(coalesce(by_scope.closing_opportunities, 0) as bigint) as closing_opportunities,
        cast(coalesce(by_scope.closing_balance, 0) as decimal(38, 2)) as closing_balance
    from scopes
    inner join windows
        on
            scopes.period_type = windows.period_type
            and scopes.period = windows.period
    left join by_scope
        on
            scopes.period_type = by_scope.period_type
            and scopes.period = by_scope.period
            and scopes.level = by_scope.level
            and scopes.scope_id = by_scope.scope_id

)

select * from final
