package onnx

// TerminateIdleRunOptions leaves terminated run options in m's pool, as a
// run cancelled part-way through does, for tests of their reuse.
func TerminateIdleRunOptions(m *Model) error {
	rs, err := m.getRunSlot()
	if err != nil {
		return err
	}
	if err := rs.ro.Terminate(); err != nil {
		return err
	}
	m.putRunSlot(rs, true)
	return nil
}

// BreakShapeGuesses makes every guessed output shape wrong, as a model whose
// dimension names mislead would, and reports how many outputs are guessed.
func BreakShapeGuesses(m *Model) int {
	n := 0
	for j, p := range m.plans {
		if p != outGuess {
			continue
		}
		n++
		for i := range m.recipes[j] {
			m.recipes[j][i] = dimSource{fixed: 7, input: -1}
		}
	}
	return n
}

// GuessesShapes reports whether m still preallocates guessed outputs.
func GuessesShapes(m *Model) bool { return !m.noGuess.Load() }
