"""Urban management: work orders with numeric category codes, photos and progress steps."""
