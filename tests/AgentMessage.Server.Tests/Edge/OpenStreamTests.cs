using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// What ends or refuses a status stream from outside it, on the embedded default: its API key
/// revoked while it is open, and the per-key and per-organization caps on open streams.
/// </summary>
public sealed class OpenStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyRevokedByTheOperator_EndsItsOpenStreamsWithUnauthorizedOnBothFaces()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(Operator.Settings(), services => services.AddSingleton<ILoggerProvider>(sink));
        var (key, keyId) = await server.CreateKeyAsync(DevSeed.OrganizationId, Scopes.MessagesRead);
        using var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream?tag=revoked", key);
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "revoked" }, TestServer.Bearer(key), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;

        var (revoked, _) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/{keyId}:revoke");
        var restLines = await rest.ReadToEndAsync();
        var (events, error) = await GrpcStreams.ReadToEndAsync(grpc);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        AssertRevokedLine(rest, Assert.Single(restLines));
        Assert.Empty(events);
        AssertRevokedStatus(error);
        Assert.Equal(string.Empty, string.Join('\n', sink.Errors));
    }

    [Fact]
    public async Task KeyRevokedInTheKeyStore_EndsItsOpenStreamsAtTheNextCredentialCheck()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Streams:CredentialCheckInterval"] = "00:00:00.100",
        });
        var key = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        var other = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        using var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream?tag=store", key);
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "store" }, TestServer.Bearer(key), cancellationToken: Ct);
        using var untouched = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "store" }, TestServer.Bearer(other), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;
        await untouched.ResponseHeadersAsync;

        // As a revocation made by another instance: straight in the store, not through this one's operator API.
        await server.Services.GetRequiredService<IApiKeyStore>().RevokeAsync(ApiKeyFormat.Hash(key), DateTimeOffset.UtcNow, Ct);
        var restLines = await rest.ReadToEndAsync();
        var (_, error) = await GrpcStreams.ReadToEndAsync(grpc);
        var id = (await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = DevSeed.SenderNumber, To = DeliverySupport.OrdinaryRecipient, Text = "hi", Tag = "store" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct)).Message.Id;
        Assert.True(await untouched.ResponseStream.MoveNext(Ct));

        AssertRevokedLine(rest, Assert.Single(restLines));
        AssertRevokedStatus(error);
        Assert.Equal(id, untouched.ResponseStream.Current.Event.MessageId);
    }

    [Fact]
    public async Task StreamsOverTheKeyCap_AreRefusedRateLimitedOnBothFaces_UntilOneCloses()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Streams:MaxPerKey"] = "2",
        });
        var key = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream", key);
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(key), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;

        var (refused, body) = await server.Rest.CallAsync(Get("/v1/messages/status/stream", key));
        using var third = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(key), cancellationToken: Ct);
        var exhausted = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(Ct));
        using var otherKey = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await otherKey.ResponseHeadersAsync;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("5", refused.Header("Retry-After"));
        AssertJsonEqual(ExpectedError(refused, "RATE_LIMITED", "this API key already has 2 open streams", new { limit = "2", scope = "api_key" }), body);
        AssertCapStatus(exhausted, "2", "api_key");

        // A stream that closes frees its place.
        rest.Dispose();
        Assert.True(await Eventually.HoldsAsync(async () => await OpensAsync(server, key), TimeSpan.FromSeconds(30), Ct), "no stream was accepted after one closed");
    }

    [Fact]
    public async Task StreamsOverTheOrganizationCap_AreRefusedWhicheverKeyAsks()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Streams:MaxPerOrganization"] = "2",
        });
        var first = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        var second = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        using var a = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(first), cancellationToken: Ct);
        using var b = await RestStream.OpenAsync(server, "/v1/messages/status/stream", second);
        await a.ResponseHeadersAsync;
        var elsewhere = await server.AddOrganizationAsync("org_elsewhere", [Scopes.MessagesRead]);

        var (refused, body) = await server.Rest.CallAsync(Get("/v1/messages/status/stream", TestServer.DevKey));
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(first), cancellationToken: Ct);
        var exhausted = await Assert.ThrowsAsync<RpcException>(() => grpc.ResponseStream.MoveNext(Ct));
        using var otherOrganization = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(elsewhere), cancellationToken: Ct);
        await otherOrganization.ResponseHeadersAsync;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        AssertJsonEqual(ExpectedError(refused, "RATE_LIMITED", "this organization already has 2 open streams", new { limit = "2", scope = "organization" }), body);
        AssertCapStatus(exhausted, "2", "organization");
    }

    /// <summary>Whether a new stream of the key is accepted now (it is closed again at once).</summary>
    private static async Task<bool> OpensAsync(TestServer server, string key)
    {
        using var response = await server.Rest.SendAsync(Get("/v1/messages/status/stream", key), HttpCompletionOption.ResponseHeadersRead, Ct);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private static void AssertRevokedLine(RestStream rest, JsonNode last)
    {
        Assert.Equal(HttpStatusCode.OK, rest.Response.StatusCode);
        AssertJsonEqual(ExpectedError(rest.Response, "UNAUTHORIZED", "the API key of this stream was revoked"), last);
    }

    private static void AssertRevokedStatus(RpcException? error)
    {
        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("the API key of this stream was revoked", error.Status.Detail);
        Assert.Equal("UNAUTHORIZED", error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
    }

    private static void AssertCapStatus(RpcException exhausted, string limit, string scope)
    {
        Assert.Equal(StatusCode.ResourceExhausted, exhausted.StatusCode);
        var status = exhausted.GetRpcStatus()!;
        var info = status.GetDetail<Google.Rpc.ErrorInfo>()!;
        Assert.Equal("RATE_LIMITED", info.Reason);
        Assert.Equal(limit, info.Metadata["limit"]);
        Assert.Equal(scope, info.Metadata["scope"]);
        Assert.Equal(5, status.GetDetail<Google.Rpc.RetryInfo>()!.RetryDelay.Seconds);
        Assert.Equal("5", exhausted.Trailers.GetValue("retry-after"));
    }
}
