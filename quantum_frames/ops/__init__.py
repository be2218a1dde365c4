"""Operations on the frames: the analyst's vocabulary (tags, tiers, friction, strategies, diff)."""
