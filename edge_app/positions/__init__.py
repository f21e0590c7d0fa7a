"""The positions stage: where each player stands, in the image and on the pitch (ARCHITECTURE §1)."""
