"""kg: curated facts about actors, institutions and agreements as a sourced RDF graph."""

__version__ = "0.1.0"
