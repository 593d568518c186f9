"""Applications service: pupils apply to offers, employers answer, pupils confirm."""
