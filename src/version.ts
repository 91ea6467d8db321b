/** The Swirl release, reported by `swirl --version`, /v1.0/metadata and the gRPC metadata calls. */
export const VERSION: string = '0.1.0';
