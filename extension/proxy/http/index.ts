// The HTTP face of the proxy: Streamable HTTP listener, sessions, upstreams, flags.

export { HttpProxy } from './listener';
export type { HttpProxyOptions, TlsOptions } from './listener';
export { HttpSession } from './sessions';
export type { SessionDeps } from './sessions';
export { credentialFetch, StdioUpstream, upstreamTransport } from './upstream';
export type { UpstreamAuth, UpstreamSpec } from './upstream';
export { challenge, metadataUrl, resourceMetadata } from './answers';
export { HTTP_USAGE, HttpUsageError, parseHttpArgs, parseListen } from './config';
export type { HttpConfig } from './config';
export { runHttpProxy } from './cli';
export type { HttpCliIo } from './cli';
