//go:build !servingonly

package main

import (
	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
)

// addCommands adds the commands that a serving image does not need: the
// tracking server, the gateway, packing, evaluation and projects. A build
// with the servingonly tag (commands_serving.go) leaves them and their
// libraries out, so that the binary berth pack puts into images stays small.
func addCommands(root *cobra.Command, g *options.Log) {
	root.AddCommand(newServerCmd(g))
	root.AddCommand(newPackCmd(g))
	root.AddCommand(newPullCmd())
	root.AddCommand(newEvaluateCmd(g), newPromoteCmd(g))
	root.AddCommand(newRunCmd(g))
	root.AddCommand(newRecipeCmd())
	root.AddCommand(newGatewayCmd(g))
}
