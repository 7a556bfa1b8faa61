package onnx

// TerminateIdleRunOptions leaves terminated run options in m's pool, as a
// run cancelled part-way through does, for tests of their reuse.
func TerminateIdleRunOptions(m *Model) error {
	ro, err := m.getRunOptions()
	if err != nil {
		return err
	}
	if err := ro.Terminate(); err != nil {
		return err
	}
	m.putRunOptions(ro, true)
	return nil
}
