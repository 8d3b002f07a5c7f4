"""Refresh-token families on top of simplejwt rotation and blacklisting.

Every login starts a ``TokenFamily``; its id travels in the refresh token as ``fam``.
Refreshing blacklists the presented token and issues a child in the same family.
Presenting a token that was already rotated means it leaked (or a client is confused):
the whole family is revoked, so the attacker's and the victim's newest tokens both stop
working and the user must log in again (reuse detection, OAuth 2.0 Security BCP).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.models import TokenFamily, User

FAMILY_CLAIM = "fam"


class FamilyRefreshToken(RefreshToken):
    """A refresh token whose blacklist check is ours: a blacklisted token is not just
    invalid, its reuse must revoke the family."""

    def verify(self, *args: object, **kwargs: object) -> None:
        Token.verify(self)  # signature was checked on decode; here expiry and type

    @property
    def family_id(self) -> str:
        family_id = self.payload.get(FAMILY_CLAIM)
        if not family_id:
            raise TokenError("Token has no family.")
        return str(family_id)


def _new_pair(user: User, family_id: str) -> dict[str, str]:
    refresh = FamilyRefreshToken.for_user(user)  # records an OutstandingToken
    refresh[FAMILY_CLAIM] = family_id
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def tokens_for_login(user: User) -> dict[str, str]:
    """A new family: the first refresh token of a login and its access token."""
    family = TokenFamily.objects.create(user=user)
    return _new_pair(user, str(family.id))


def _locked_family(token: FamilyRefreshToken) -> TokenFamily | None:
    # Lock the family row: two concurrent refreshes of one token queue here; the first
    # rotates, the second then sees a blacklisted token and revokes the family.
    return TokenFamily.objects.select_for_update().select_related("user").filter(id=token.family_id).first()


def _revoke_family(family: TokenFamily, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = timezone.now()
        family.revoked_reason = reason
        family.save(update_fields=["revoked_at", "revoked_reason"])


def _blacklist(jti: str) -> bool:
    """Blacklist one token; False when it already was (i.e. this is a reuse)."""
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is None:
        return False
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def rotate(raw_refresh: str) -> dict[str, str]:
    """Blacklist ``raw_refresh`` and return a new pair in the same family.

    Raises ``TokenError`` for invalid, expired, revoked or reused tokens. A reuse
    commits the family's revocation before raising.
    """
    token = FamilyRefreshToken(raw_refresh)  # type: ignore[arg-type]
    with transaction.atomic():
        family = _locked_family(token)
        if family is None or family.is_revoked or not family.user.is_active:
            raise TokenError("Token is revoked.")
        if _blacklist(token.payload["jti"]):
            return _new_pair(family.user, str(family.id))
        _revoke_family(family, "reuse_detected")
    raise TokenError("Refresh token was already used; every session of this login is revoked.")


def revoke(raw_refresh: str, *, user: User) -> None:
    """Logout: blacklist the token and revoke its family. Idempotent."""
    token = FamilyRefreshToken(raw_refresh)  # type: ignore[arg-type]
    if str(token.payload.get("user_id")) != str(user.pk):
        raise TokenError("Token belongs to another user.")
    with transaction.atomic():
        family = _locked_family(token)
        if family is not None:
            _revoke_family(family, "logout")
        _blacklist(token.payload["jti"])
