package embedded

import (
	"net"
	"strings"
)

// listenLoopback keeps the embedded broker off every interface but loopback,
// whatever address kfake asks for.
func listenLoopback(network, address string) (net.Listener, error) {
	port := "0"
	if i := strings.LastIndexByte(address, ':'); i >= 0 {
		port = address[i+1:]
	}
	return net.Listen(network, net.JoinHostPort("127.0.0.1", port))
}
