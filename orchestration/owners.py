"""Who answers for an asset: the marts' dbt groups name their teams; everything else is the platform team's."""

PLATFORM_OWNER = "data-platform@example.com"
