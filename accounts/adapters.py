from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Anyone may sign up as counsel; case roles come only from invitations, filings and appointments."""
