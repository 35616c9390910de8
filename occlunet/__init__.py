"""occlunet."""
