"""dudao (督导): compulsory-education balance and quality supervision."""

__version__ = "0.1.0"
