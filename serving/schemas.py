"""The API's answers as pydantic models: the OpenAPI schema, with examples, is generated from these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """Every error answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "household 1234 not found"}]})
    detail: str


AUTH_AND_RATE_ERRORS = {
    401: "No token, or one that is invalid or expired (see WWW-Authenticate).",
    422: "A parameter out of its range, named with the rule.",
    429: "The retailer's request rate is exceeded; see Retry-After.",
}


def problems(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's error answers for OpenAPI: each code with its description, all shaped as a ``Problem``."""
    return {code: {"model": Problem, "description": text} for code, text in sorted(descriptions.items())}


class RecommendedProduct(BaseModel):
    rank: int = Field(ge=1, examples=[1])
    product_id: int = Field(examples=[1082185])
    department: str | None = Field(examples=["PRODUCE"])
    product_category: str | None = Field(examples=["TROPICAL FRUIT"])
    product_type: str | None = Field(examples=["BANANAS"])
    brand_type: str | None = Field(examples=["National"])
    source: str = Field(
        description="`model`: the recommender's pick; `popularity`: a most-bought product for a household the model "
        "was not fitted on.",
        examples=["model"],
    )


class Recommendations(BaseModel):
    household_id: int = Field(description="The household's pseudonymous key.", examples=[1234])
    model_version: int = Field(description="The registered recommender version that scored it.", examples=[3])
    recommendations: list[RecommendedProduct]


class OfferPropensity(BaseModel):
    campaign_id: int = Field(examples=[18])
    propensity: float = Field(ge=0, le=1, description="Probability the household redeems the campaign's coupons.")


class Offers(BaseModel):
    household_id: int = Field(examples=[1234])
    model_version: int = Field(examples=[2])
    offers: list[OfferPropensity] = Field(description="The household's targeted campaigns, likeliest first.")


class CategoryWeek(BaseModel):
    week: int = Field(examples=[52])
    week_start_date: str = Field(examples=["2017-12-25"])
    department: str = Field(examples=["GROCERY"])
    product_category: str = Field(examples=["SOFT DRINKS"])
    sales_value: float
    item_units: int
    baskets: int
    households: int
    private_label_share: float | None
    share_of_retailer_sales: float | None
    basket_penetration: float | None
    average_basket_value: float | None
    sales_growth_vs_previous_week: float | None


class CategoryPerformance(BaseModel):
    retailer_id: str = Field(examples=["R01"])
    page: int = Field(examples=[1])
    page_size: int = Field(examples=[50])
    next_page: int | None = Field(description="The next page's number; null on the last page.", examples=[2])
    rows: list[CategoryWeek]


class PromotionWeek(BaseModel):
    week: int = Field(examples=[52])
    week_start_date: str = Field(examples=["2017-12-25"])
    on_display: bool
    in_mailer: bool
    promoted_product_stores: int = Field(description="Product-store pairs on this kind of promotion that week.")
    sales_value: float
    baseline_sales_value: float | None
    incremental_item_units: float | None
    sales_value_lift: float | None = Field(description="Sales over the baseline of weeks without promotion.")


class PromotionEffectiveness(BaseModel):
    retailer_id: str = Field(examples=["R01"])
    page: int
    page_size: int
    next_page: int | None
    rows: list[PromotionWeek]


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    warehouse: bool = Field(description="The warehouse answers its ping.")
    scores_loaded: bool
    households: int = Field(description="Households whose scores are served.")
    recommendations_version: int | None
    offers_version: int | None
