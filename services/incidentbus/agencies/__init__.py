"""Agency services: anti-corruption layers between each agency's native JSON and the bus."""
