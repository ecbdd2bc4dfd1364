using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>Which face a call came in on.</summary>
public static class GrpcRequest
{
    private const string GrpcContentType = "application/grpc";

    /// <summary>
    /// True for a native gRPC call: gRPC framing (<see cref="IsGrpcTransport"/>) to a path that is not
    /// a REST one. Everything else, whatever its content type and whichever listener it reached, is
    /// answered by the REST face in its envelope. Before routing, the path is not known yet and only
    /// the framing counts.
    /// </summary>
    public static bool IsNative(HttpContext context) => IsGrpcTransport(context.Request) && !IsTranscoded(context);

    /// <summary>True when routing chose a REST path, served through JSON transcoding.</summary>
    public static bool IsTranscoded(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null;

    /// <summary>True for an endpoint grpc-dotnet serves: a method of a mapped service.</summary>
    public static bool IsGrpcEndpoint(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

    /// <summary>A gRPC content type over HTTP/2 or later: what grpc-dotnet serves, and nothing else.</summary>
    public static bool IsGrpcTransport(HttpRequest request) =>
        HasGrpcContentType(request.ContentType) && (HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol));

    /// <summary>
    /// <c>application/grpc</c>, alone, with a message format (<c>application/grpc+proto</c>) or with
    /// parameters, read as grpc-dotnet reads it; <c>application/grpc-web</c> is another protocol,
    /// which this service does not serve.
    /// </summary>
    public static bool HasGrpcContentType(string? contentType) =>
        contentType is not null &&
        contentType.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase) &&
        (contentType.Length == GrpcContentType.Length || contentType[GrpcContentType.Length] is '+' or ';');
}
