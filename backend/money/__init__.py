"""Money: pay terms, daily work records and confirmations, the ledger, tax, payouts (see README.md)."""
