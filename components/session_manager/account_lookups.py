"""What the program asks AWS at plan time, through the stack's default provider: which
accounts it manages and in what state Organizations has them.

States are Organizations' Account.State: PENDING_ACTIVATION | ACTIVE | SUSPENDED |
PENDING_CLOSURE | CLOSED (https://docs.aws.amazon.com/organizations/latest/APIReference/
API_Account.html); the target rules (config/targets.py) skip all but ACTIVE.
"""

import pulumi
import pulumi_aws as aws


def organizational_unit_accounts(ou_id: str) -> dict[str, str]:
    """The accounts below an OU and their states, read at plan time with the stack's own
    credentials; the target rules skip those that aren't ACTIVE, with a warning."""
    result = aws.organizations.get_organizational_unit_descendant_accounts(parent_id=ou_id)
    # `state` came with pulumi-aws 7.10 (the floor pyproject.toml declares); the deprecated
    # `status` has no CLOSED.
    return {account.id: account.state for account in result.accounts}


def organization_account_states() -> dict[str, str]:
    """Every account of the organization and its state, when the credentials may list them.

    Only the management account (or a delegated administrator) gets the list; elsewhere
    it is empty and explicit targets are deployed as given.
    """
    try:
        organization = aws.organizations.get_organization()
    except Exception as exc:  # an invoke failure is a plain Exception
        pulumi.log.warn(
            "session-manager:targets: could not list the organization's accounts, so the "
            f"states of the accounts named under targets are not checked: {exc}"
        )
        return {}
    return {account.id: account.state for account in organization.accounts or []}


def own_account_id() -> str:
    """The account of the stack's own credentials (the default provider's)."""
    return aws.get_caller_identity().account_id
