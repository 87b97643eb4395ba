"""A household's recommendations and offer propensities, from the scores in memory."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from serving.api.deps import household_for
from serving.schemas import AUTH_AND_RATE_ERRORS, OfferPropensity, Offers, Recommendations, RecommendedProduct, problems
from serving.scores import HouseholdScores, ScoreSnapshot

router = APIRouter(prefix="/v1/households", tags=["households"])

ERRORS = problems(
    {
        **AUTH_AND_RATE_ERRORS,
        403: "The token lacks the route's scope.",
        404: "No such household for this retailer (another's looks the same).",
        503: "The scores are not loaded yet; see Retry-After.",
    }
)
Served = tuple[int, HouseholdScores, ScoreSnapshot]


def _not_scored(household_id: int, model: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"household {household_id} has no {model} scores")


@router.get("/{household_id}/recommendations", responses=ERRORS, summary="A household's top products")
async def recommendations(
    served: Annotated[Served, Depends(household_for("recommendations:read"))],
    limit: Annotated[int, Query(ge=1, le=10, description="How many products, best first.")] = 10,
) -> Recommendations:
    """The recommender champion's top products for the household, with their attributes and the model version."""
    household_id, scores, snapshot = served
    if not scores.recommendations or snapshot.recommendations_version is None:
        raise _not_scored(household_id, "recommendation")
    return Recommendations(
        household_id=household_id,
        model_version=snapshot.recommendations_version,
        recommendations=[
            RecommendedProduct.model_validate(product, from_attributes=True)
            for product in scores.recommendations[:limit]
        ],
    )


@router.get("/{household_id}/offers", responses=ERRORS, summary="A household's offer propensities")
async def offers(
    served: Annotated[Served, Depends(household_for("offers:read"))],
    limit: Annotated[int, Query(ge=1, le=50, description="How many campaigns, likeliest first.")] = 10,
) -> Offers:
    """The offer model champion's redemption propensity for each campaign the household is targeted by."""
    household_id, scores, snapshot = served
    if not scores.offers or snapshot.offers_version is None:
        raise _not_scored(household_id, "offer")
    return Offers(
        household_id=household_id,
        model_version=snapshot.offers_version,
        offers=[OfferPropensity.model_validate(offer, from_attributes=True) for offer in scores.offers[:limit]],
    )
