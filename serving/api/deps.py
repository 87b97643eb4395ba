"""The routes' dependencies: who calls (token, scope, rate), which scores are served, and which household or
retailer the caller may see. Anything another retailer owns answers exactly as if it did not exist (404)."""

# No `from __future__ import annotations`: FastAPI reads these signatures, some defined inside functions.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.auth import Principal, UntrustedTokenError
from serving.insights import Page, WeekRange
from serving.limits import retry_after
from serving.scores import HouseholdScores, ScoreSnapshot
from serving.services import Services

REALM = "retail-insights-api"
FIRST_WEEK, LAST_WEEK = 1, 104
MAX_PAGE_SIZE = 500
SCORES_RETRY_AFTER_S = 5

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="retailer token",
    description="A JWT (RS256) from the platform's identity provider: `lakehouse api token --retailer R01 ...` "
    "mints one locally.",
)


async def services_of(request: Request) -> Services:
    """The app's services. Every dependency here is ``async``: FastAPI runs a plain ``def`` one in its thread pool,
    and under load each hop there waits for the GIL (up to its 5 ms switch interval): a 12 ms median in the benchmark.
    """
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


AppServices = Annotated[Services, Depends(services_of)]


def _unauthorised(detail: str, error: str | None = None) -> HTTPException:
    challenge = f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})


async def current_principal(
    services: AppServices, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Principal:
    """The verified caller, counted against its retailer's rate."""
    if credentials is None:
        raise _unauthorised("a bearer token is required")
    try:
        principal = await services.verifier.verify(credentials.credentials)
    except UntrustedTokenError as error:
        raise _unauthorised(f"invalid token: {error}", "invalid_token") from None
    wait_s = services.limiter.wait_s(principal.retailer)
    if wait_s:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many requests for retailer {principal.retailer}",
            headers={"Retry-After": retry_after(wait_s)},
        )
    return principal


def granted(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """The caller, provided its token carries ``scope``."""

    async def principal_with_scope(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if scope not in principal.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the token lacks the scope {scope}",
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'},
            )
        return principal

    return principal_with_scope


async def current_scores(services: AppServices) -> ScoreSnapshot:
    snapshot = services.scores.snapshot
    if snapshot is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the scores are not loaded yet",
            headers={"Retry-After": str(SCORES_RETRY_AFTER_S)},
        )
    return snapshot


HouseholdId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The household's pseudonymous key.", examples=[1234])]
RetailerId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="The retailer the token acts for.", examples=["R01"])
]


def household_for(scope: str) -> Callable[..., Awaitable[tuple[int, HouseholdScores, ScoreSnapshot]]]:
    """The household's scores, when the caller has ``scope`` and the household belongs to the caller's retailer."""

    async def tenant_household(
        household_id: HouseholdId,
        principal: Annotated[Principal, Depends(granted(scope))],
        snapshot: Annotated[ScoreSnapshot, Depends(current_scores)],
    ) -> tuple[int, HouseholdScores, ScoreSnapshot]:
        scores = snapshot.households.get(household_id)
        if scores is None or scores.retailer_id != principal.retailer:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"household {household_id} not found")
        return household_id, scores, snapshot

    return tenant_household


async def tenant_retailer(
    retailer_id: RetailerId, principal: Annotated[Principal, Depends(granted("insights:read"))]
) -> str:
    """The retailer in the path, when it is the caller's own."""
    if retailer_id != principal.retailer:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"retailer {retailer_id} not found")
    return retailer_id


async def week_range(
    from_week: Annotated[int, Query(ge=FIRST_WEEK, le=LAST_WEEK, description="First week, inclusive.")] = FIRST_WEEK,
    to_week: Annotated[int, Query(ge=FIRST_WEEK, le=LAST_WEEK, description="Last week, inclusive.")] = LAST_WEEK,
) -> WeekRange:
    if from_week > to_week:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"from_week {from_week} is after to_week {to_week}")
    return WeekRange(from_week, to_week)


async def page_of(
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")] = 50,
) -> Page:
    return Page(page, page_size)
