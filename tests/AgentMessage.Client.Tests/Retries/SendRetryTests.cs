using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Client.Tests.Retries;

/// <summary>Sends retried through transport failures against the embedded server: one key per send, reused by its retries.</summary>
public sealed class SendRetryTests(EmbeddedServerFixture fixture) : IClassFixture<EmbeddedServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendMessage_FirstTwoAttemptsCannotConnect_SucceedsOnTheThirdWithOneKeyAndOneMessage()
    {
        var injector = new FaultInjector { Plan = (method, n) => method == "SendMessage" && n <= 2 ? Fault.ConnectionRefused : Fault.None };
        using var client = Clients.For(fixture.Server, injector);
        var tag = Clients.NewTag();

        var sent = await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);

        var attempts = injector.AttemptsOf("SendMessage");
        Assert.Equal(3, attempts.Count);
        Assert.False(string.IsNullOrEmpty(attempts[0].IdempotencyKey));
        Assert.All(attempts, a => Assert.Equal(attempts[0].IdempotencyKey, a.IdempotencyKey));
        var stored = Assert.Single(await Clients.MessagesTaggedAsync(client, tag));
        Assert.Equal(sent.Message.Id, stored.Id);
    }

    [Fact]
    public async Task SendMessage_TwoCallsWithoutKeys_CarryDifferentKeysAndStoreTwoMessages()
    {
        var injector = new FaultInjector();
        using var client = Clients.For(fixture.Server, injector);
        var tag = Clients.NewTag();

        var first = await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);
        var second = await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);

        Assert.NotEqual(first.Message.Id, second.Message.Id);
        var keys = injector.AttemptsOf("SendMessage").Select(a => a.IdempotencyKey).ToList();
        Assert.Equal(2, keys.Distinct().Count());
        Assert.Equal(2, (await Clients.MessagesTaggedAsync(client, tag)).Count);
    }

    [Fact]
    public async Task SendMessage_CallerKeyGivenTwice_SendsThatKeyAndTheServerAnswersTheFirstMessage()
    {
        var injector = new FaultInjector();
        using var client = Clients.For(fixture.Server, injector);
        var tag = Clients.NewTag();
        var key = $"job-{Guid.NewGuid():N}";

        var first = await client.SendMessageAsync(Clients.Send(tag), key, Ct);
        var again = await client.SendMessageAsync(Clients.Send(tag), key, Ct);

        Assert.All(injector.AttemptsOf("SendMessage"), a => Assert.Equal(key, a.IdempotencyKey));
        Assert.Equal(first.Message.Id, again.Message.Id);
        Assert.Single(await Clients.MessagesTaggedAsync(client, tag));
    }

    [Fact]
    public async Task SendMessage_InjectedUnavailableWithRetryInfo_IsRetriedAndSucceeds()
    {
        var injector = new FaultInjector
        {
            Plan = (method, n) => method == "SendMessage" && n == 1 ? new Fault.Status(StatusCode.Unavailable, "UNAVAILABLE", TimeSpan.FromMilliseconds(50)) : Fault.None,
        };
        using var client = Clients.For(fixture.Server, injector);
        var tag = Clients.NewTag();

        var sent = await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct);

        Assert.Equal(2, injector.AttemptsOf("SendMessage").Count);
        Assert.Equal(MessageStatus.Queued, sent.Message.Status);
    }

    [Fact]
    public async Task SendMessage_MmsDisabledUnavailable_IsNotRetried()
    {
        var injector = new FaultInjector { Plan = (method, _) => method == "SendMessage" ? new Fault.Status(StatusCode.Unavailable, "MMS_DISABLED", null) : Fault.None };
        using var client = Clients.For(fixture.Server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SendMessageAsync(Clients.Send(Clients.NewTag()), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Single(injector.AttemptsOf("SendMessage"));
    }

    [Fact]
    public async Task GetMessage_UnavailableOnEveryAttempt_ThrowsUnavailableAfterMaxAttempts()
    {
        var injector = new FaultInjector { Plan = (method, _) => method == "GetMessage" ? Fault.ConnectionRefused : Fault.None };
        using var client = Clients.For(fixture.Server, injector, retry => retry.MaxAttempts = 3);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString() }, Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(3, injector.AttemptsOf("GetMessage").Count);
    }

    [Fact]
    public async Task CreateWebhook_ConnectionRefused_IsNotRetried()
    {
        var injector = new FaultInjector { Plan = (_, _) => Fault.ConnectionRefused };
        using var client = Clients.For(fixture.Server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.CreateWebhookAsync(new CreateWebhookRequest { Url = "https://example.com/hooks" }, Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Single(injector.AttemptsOf("CreateWebhook"));
    }

    [Fact]
    public async Task GetMessage_ServerHintLongerThanMaxDelay_ThrowsAfterOneAttempt()
    {
        var injector = new FaultInjector { Plan = (_, _) => new Fault.Status(StatusCode.Unavailable, "UNAVAILABLE", TimeSpan.FromMinutes(10)) };
        using var client = Clients.For(fixture.Server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString() }, Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Single(injector.AttemptsOf("GetMessage"));
    }

    [Fact]
    public async Task GetMessage_CancelledWhileWaitingForTheServerHint_ThrowsOperationCanceledAfterOneAttempt()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var injector = new FaultInjector
        {
            Plan = (_, _) => new Fault.Status(StatusCode.ResourceExhausted, "RATE_LIMITED", TimeSpan.FromSeconds(4)),
            OnAttempt = _ => cancel.CancelAfter(TimeSpan.FromMilliseconds(100)),
        };
        using var client = Clients.For(fixture.Server, injector);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString() }, cancel.Token));

        Assert.Single(injector.AttemptsOf("GetMessage"));
    }

    [Fact]
    public async Task GetMessage_UnknownId_ThrowsNotFoundWithoutRetrying()
    {
        var injector = new FaultInjector();
        using var client = Clients.For(fixture.Server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString() }, Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Single(injector.AttemptsOf("GetMessage"));
    }
}
