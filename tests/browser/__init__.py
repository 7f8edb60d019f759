"""Browser tests through dash[testing] (headless Chromium); all marked ``browser``."""
