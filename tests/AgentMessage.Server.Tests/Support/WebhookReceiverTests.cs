using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// The webhook receiver fixture: deliveries signed here per the Standard Webhooks specification
/// (HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed by the base64 secret after "whsec_", header
/// "v1,&lt;base64&gt;") are verified by the reference verifier in node, each configured secret on its
/// own; answers are given in the configured order; a held request stays open until the client leaves.
/// </summary>
public sealed class WebhookReceiverTests(WebhookReceiverFixture fixture) : IClassFixture<WebhookReceiverFixture>
{
    private const string Body = """{"type":"message.delivered","data":{"id":"msg_01","text":"héllo ✓"}}""";

    private static readonly string SecretA = NewSecret();
    private static readonly string SecretB = NewSecret();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebhookReceiver Receiver => fixture.Receiver;

    [Fact]
    public async Task SignedDelivery_IsVerified_AndRecordedAsSent()
    {
        const string name = "signed";
        await Receiver.ConfigureAsync(name, [SecretA], ct: Ct);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var response = await PostAsync(name, "msg_signed", timestamp, Sign(SecretA, "msg_signed", timestamp, Body));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var received = Assert.Single(await Receiver.ReceivedAsync(name, Ct));
        Assert.Equal([true], received.VerifiedBy);
        Assert.Equal([null], received.VerifyErrors);
        Assert.True(received.VerifiedByAll);
        Assert.Equal(name, received.Name);
        Assert.Equal(1, received.Sequence);
        Assert.True(received.Known);
        Assert.Equal("POST", received.Method);
        Assert.Equal("msg_signed", received.WebhookId);
        Assert.Equal(timestamp, received.Timestamp);
        Assert.Equal(Sign(SecretA, "msg_signed", timestamp, Body), received.SignatureHeader);
        Assert.Equal(Body, received.Body);
        Assert.Equal("héllo ✓", received.Json.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("application/json; charset=utf-8", received.Headers["Content-Type"]);
        Assert.Equal(204, received.AnsweredStatus);
        Assert.InRange(received.ReceivedAtMs, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task SignatureWithAnotherSecret_IsNotVerified()
    {
        const string name = "wrong-secret";
        await Receiver.ConfigureAsync(name, [SecretA], ct: Ct);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var response = await PostAsync(name, "msg_wrong", timestamp, Sign(SecretB, "msg_wrong", timestamp, Body));

        var received = Assert.Single(await Receiver.ReceivedAsync(name, Ct));
        Assert.Equal([false], received.VerifiedBy);
        Assert.Equal("No matching signature found", received.VerifyErrors[0]);
    }

    [Fact]
    public async Task SignatureOverAnotherBody_OrAnOldTimestamp_IsNotVerified()
    {
        const string name = "tampered";
        await Receiver.ConfigureAsync(name, [SecretA], ct: Ct);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var old = now - 3600;

        using var tampered = await PostAsync(name, "msg_tampered", now, Sign(SecretA, "msg_tampered", now, Body.Replace("01", "02", StringComparison.Ordinal)));
        using var stale = await PostAsync(name, "msg_stale", old, Sign(SecretA, "msg_stale", old, Body));

        var received = await Receiver.ReceivedAsync(name, Ct);
        Assert.Equal(2, received.Count);
        Assert.Equal([false], received[0].VerifiedBy);
        Assert.Equal([false], received[1].VerifiedBy);
        Assert.Equal("Message timestamp too old", received[1].VerifyErrors[0]);
    }

    [Fact]
    public async Task TwoSignatures_DuringARotation_EachSecretVerifies()
    {
        const string name = "rotation";
        await Receiver.ConfigureAsync(name, [SecretA, SecretB], ct: Ct);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var both = Sign(SecretA, "msg_both", timestamp, Body) + " " + Sign(SecretB, "msg_both", timestamp, Body);

        using var first = await PostAsync(name, "msg_both", timestamp, both);
        using var second = await PostAsync(name, "msg_new", timestamp, Sign(SecretB, "msg_new", timestamp, Body));

        var received = await Receiver.ReceivedAsync(name, Ct);
        Assert.Equal([true, true], received[0].VerifiedBy);
        Assert.Equal([false, true], received[1].VerifiedBy);
        Assert.Equal([1L, 2L], received.Select(record => record.Sequence));
    }

    [Fact]
    public async Task QueuedAnswers_AreGivenInOrder_ThenTheDefault()
    {
        const string name = "answers";
        await Receiver.ConfigureAsync(
            name,
            [SecretA],
            [ReceiverAnswer.Of(500), ReceiverAnswer.Of(410), ReceiverAnswer.Redirect(302, "https://elsewhere.example.com/"), new ReceiverAnswer(200, BodyBytes: 70_000)],
            ReceiverAnswer.Of(503),
            Ct);

        var statuses = new List<int>();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var attempt = 0; attempt < 6; attempt++)
        {
            using var response = await PostAsync(name, "msg_retry", timestamp, Sign(SecretA, "msg_retry", timestamp, Body));
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.Found)
            {
                Assert.Equal(new Uri("https://elsewhere.example.com/"), response.Headers.Location);
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(70_000, (await response.Content.ReadAsByteArrayAsync(Ct)).Length);
            }
        }

        Assert.Equal([500, 410, 302, 200, 503, 503], statuses);
        Assert.Equal([500, 410, 302, 200, 503, 503], (await Receiver.ReceivedAsync(name, Ct)).Select(record => record.AnsweredStatus ?? 0));
    }

    [Fact]
    public async Task HoldAnswer_KeepsTheRequestOpen_UntilTheClientGivesUp()
    {
        const string name = "hold";
        await Receiver.ConfigureAsync(name, [SecretA], [ReceiverAnswer.Hold], ct: Ct);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pending = PostUntilAsync(name, "msg_hold", timestamp, Sign(SecretA, "msg_hold", timestamp, Body), giveUp.Token);
        var arrived = await Receiver.WaitForAsync(name, received => received.Count == 1, TimeSpan.FromSeconds(10), Ct);

        Assert.Null(arrived[0].AnsweredStatus);
        Assert.False(pending.IsCompleted);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        var closed = await Receiver.WaitForAsync(name, received => received[0].ClientClosed, TimeSpan.FromSeconds(10), Ct);
        Assert.Null(closed[0].AnsweredStatus);
        Assert.False(closed[0].Dropped);

        // The queue moved on: the next request gets the default answer.
        using var next = await PostAsync(name, "msg_hold", timestamp, Sign(SecretA, "msg_hold", timestamp, Body));
        Assert.Equal(HttpStatusCode.NoContent, next.StatusCode);
    }

    [Fact]
    public async Task DelayedAnswer_IsGiven_AndHoldWithADelay_DropsTheConnectionUnanswered()
    {
        const string name = "delayed";
        await Receiver.ConfigureAsync(name, [SecretA], [new ReceiverAnswer(200, DelayMs: 20), new ReceiverAnswer(Timeout: true, DelayMs: 20)], ct: Ct);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var delayed = await PostAsync(name, "msg_delayed", timestamp, Sign(SecretA, "msg_delayed", timestamp, Body));
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(name, "msg_dropped", timestamp, Sign(SecretA, "msg_dropped", timestamp, Body)));

        Assert.Equal(HttpStatusCode.OK, delayed.StatusCode);
        var received = await Receiver.WaitForAsync(name, received => received.Count == 2 && received[1].Dropped, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, received[0].AnsweredStatus);
        Assert.Null(received[1].AnsweredStatus);
        Assert.False(received[1].ClientClosed);
    }

    [Fact]
    public async Task UnknownName_IsAnswered404_AndRecorded()
    {
        using var response = await PostAsync("never-configured", "msg_unknown", 1, "v1,AAAA");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var received = Assert.Single(await Receiver.ReceivedAsync("never-configured", Ct));
        Assert.False(received.Known);
        Assert.Empty(received.VerifiedBy);
        Assert.Equal(404, received.AnsweredStatus);
    }

    [Fact]
    public async Task WaitFor_ThatNeverHolds_FailsWithWhatWasReceived()
    {
        const string name = "wait-fails";
        await Receiver.ConfigureAsync(name, [SecretA], ct: Ct);
        using var response = await PostAsync(name, "msg_seen", 1, "v1,AAAA");

        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Receiver.WaitForAsync(name, received => received.Count == 2, TimeSpan.FromMilliseconds(100), Ct));

        Assert.Contains("received 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("id=msg_seen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configure_WithASecretThatIsNotBase64_IsRefused()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Receiver.ConfigureAsync("bad-secret", ["whsec_not base64!"], ct: Ct));

        Assert.Contains("secrets[0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_ForgetsTheRecords_AndSequencesKeepCounting()
    {
        const string name = "cleared";
        await Receiver.ConfigureAsync(name, [SecretA], ct: Ct);
        using (await PostAsync(name, "msg_1", 1, "v1,AAAA"))
        {
        }

        await Receiver.ClearAsync(name, Ct);
        Assert.Empty(await Receiver.ReceivedAsync(name, Ct));
        using (await PostAsync(name, "msg_2", 1, "v1,AAAA"))
        {
        }

        Assert.Equal(2, Assert.Single(await Receiver.ReceivedAsync(name, Ct)).Sequence);
    }

    /// <summary>A Standard Webhooks signature: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).</summary>
    private static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    private Task<HttpResponseMessage> PostAsync(string name, string id, long timestamp, string signature) =>
        PostUntilAsync(name, id, timestamp, signature, Ct);

    private async Task<HttpResponseMessage> PostUntilAsync(string name, string id, long timestamp, string signature, CancellationToken ct)
    {
        // Redirects are answers to look at, as for the webhook sender.
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, Receiver.UrlFor(name))
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return await client.SendAsync(request, ct);
    }
}
