namespace AgentMessage.Server.Tests.Support;

/// <summary>Sends every request as HTTP/2 without negotiation (what a cleartext gRPC listener
/// speaks), or as the HTTP/1.1 it was made with.</summary>
public sealed class ProtocolHandler(bool http2) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (http2)
        {
            request.Version = System.Net.HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
