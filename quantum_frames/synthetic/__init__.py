"""Synthetic data: the generator, the PostgreSQL seeder and the bundled sample."""
