"""Classical set-theoretic analysis (crisp- and fuzzy-set QCA): truth tables, necessity, Boolean minimisation.

The definitions are those of Dusa's R package ``QCA`` and Schneider & Wagemann (2012); see
docs/QCA.md.  Every measure takes membership arrays whose last axis is the case, so a leading
axis of posterior draws broadcasts through unchanged (the posterior QCA of issue #27 builds on that).
"""
