namespace AgentMessage.Server.Edge.Grpc;

/// <summary>Which face a call came in on.</summary>
public static class GrpcRequest
{
    /// <summary>True for native gRPC (HTTP/2, application/grpc); false for REST through transcoding.</summary>
    public static bool IsNative(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
}
