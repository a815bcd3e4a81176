"""Pure logic of Vigil: types, rules and maths, with no I/O."""
