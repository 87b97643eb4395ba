"""The marts the dbt project builds, by database: what the tests expect the warehouse and the asset graph to hold."""

from __future__ import annotations

MARTS = {
    "category": [
        "category_growth_weekly",
        "category_performance_weekly",
        "category_sales_weekly",
        "dim_products",
        "dim_stores",
        "fct_sales_lines",
    ],
    "promotions": [
        "campaign_performance",
        "campaign_type_performance",
        "promotion_calendar",
        "promotion_lift",
        "promotion_product_weekly",
        "promotion_type_lift",
    ],
    "loyalty": ["campaign_participation", "household_rfm", "spend_by_demographic"],
    "exports": ["export_household_segments"],
}
