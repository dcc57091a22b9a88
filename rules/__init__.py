"""Rule packs shipped with promptlint (installed as the ``promptlint.rules`` package data)."""
