"""Steps: the article's other steps (org id, install, connected app access, doctor, setup)."""
