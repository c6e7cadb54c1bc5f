"""The Excel add-in: the CRM ribbon (:mod:`.ribbon`), the reproducible ``CRM.xlam`` build
(:mod:`.build`, with :mod:`.vba` and :mod:`.cfb` for the VBA project) and the per-user install
(:mod:`.install`)."""
