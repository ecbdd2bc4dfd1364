using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Client.Tests.Retries;

/// <summary>
/// The case idempotency keys exist for: the server stored the message and answered, the answer
/// never reached the client, the client retried. On both backends the retry must be answered with
/// the stored message, not store a second one.
/// </summary>
public sealed class LostAnswerTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("embedded")]
    [InlineData("redis")]
    public async Task SendMessage_AnswerLostAfterTheServerStoredIt_RetryReturnsThatMessageAndOneIsStored(string backend)
    {
        await using var server = await LiveServer.StartAsync(backend == "redis" ? redis.Server : null);
        var injector = new FaultInjector { Plan = (method, n) => method == "SendMessage" && n == 1 ? Fault.AnswerLost : Fault.None };
        using var client = Clients.For(server, injector);
        var tag = Clients.NewTag();

        var sent = await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);

        var attempts = injector.AttemptsOf("SendMessage");
        Assert.Equal(2, attempts.Count);
        Assert.Equal(attempts[0].IdempotencyKey, attempts[1].IdempotencyKey);
        var stored = Assert.Single(await Clients.MessagesTaggedAsync(client, tag));
        Assert.Equal(stored.Id, sent.Message.Id);
    }

    [Fact]
    public async Task CreateMediaUpload_AnswerLost_RetryReturnsTheSameSlot()
    {
        await using var server = await LiveServer.StartAsync();
        var injector = new FaultInjector { Plan = (method, n) => method == "CreateMediaUpload" && n == 1 ? Fault.AnswerLost : Fault.None };
        using var client = Clients.For(server, injector);
        var request = new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = 1024 };

        var slot = await client.CreateMediaUploadAsync(request, cancellationToken: Ct);
        var key = injector.AttemptsOf("CreateMediaUpload")[0].IdempotencyKey;

        // The key the lost attempt and its retry carried names the slot the client was given.
        var again = await client.CreateMediaUploadAsync(request, key, Ct);
        var attempts = injector.AttemptsOf("CreateMediaUpload");
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(key, a.IdempotencyKey));
        Assert.Equal(slot.MediaId, again.MediaId);
    }

    [Fact]
    public async Task CreateWebhook_AnswerLost_IsNotRetriedAndTheErrorReachesTheCaller()
    {
        await using var server = await LiveServer.StartAsync();
        var injector = new FaultInjector { Plan = (method, _) => method == "CreateWebhook" ? Fault.AnswerLost : Fault.None };
        using var client = Clients.For(server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.CreateWebhookAsync(new CreateWebhookRequest { Url = "https://example.com/hooks" }, Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Single(injector.AttemptsOf("CreateWebhook"));
    }

    [Fact]
    public async Task SendMessage_RateLimitedByTheServer_WaitsForItsRetryInfoAndSucceeds()
    {
        await using var server = await LiveServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = "1",
            ["AgentMessage:RateLimits:Send:PerSecond"] = "1",
        });
        var injector = new FaultInjector();
        using var client = Clients.For(server, injector);
        var tag = Clients.NewTag();

        await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);
        var second = await client.SendMessageAsync(Clients.Send(tag, "the second"), cancellationToken: Ct);

        // The second send met an empty bucket at least once, then went through with its own key.
        var attempts = injector.AttemptsOf("SendMessage");
        Assert.True(attempts.Count >= 3, $"expected the second send to be refused once, saw {attempts.Count} attempts");
        Assert.Single(attempts.Skip(1).Select(a => a.IdempotencyKey).Distinct());
        Assert.Equal("the second", second.Message.Text);
        Assert.Equal(2, (await Clients.MessagesTaggedAsync(client, tag)).Count);
    }
}
