"""The case lifecycle as data: states, versioned rule packs (deadline rules) and one transitions table."""
