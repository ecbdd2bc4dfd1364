using System.Net;
using System.Text;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using AgentMessage.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>
/// Signed carrier bodies (receipts and inbound messages) a careless or hostile sender posts: bytes
/// that are not UTF-8, half a surrogate pair, Latin-1 text, another charset, and a signed request
/// replayed inside the replay window (docs/API.md section 9). Each is a 400 or a 200 that changes
/// nothing, never a 500, and writes no error-level log line.
/// </summary>
public sealed class SignedCarrierInputTests(SignedCarrierInputTests.Server shared) : IClassFixture<SignedCarrierInputTests.Server>
{
    private readonly TestServer server = shared.Value;

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC3 })]
    public async Task Receipt_BodyThatIsNotUtf8_Returns400(byte[] invalid)
    {
        byte[] receipt = [.. "{\"reference\":\"org_development/x\",\"status\":\"DELIVRD\",\"error_code\":\"e"u8, .. invalid, .. "\"}"u8];

        var (response, body) = await server.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "receipt body is not valid UTF-8 (declare charset=iso-8859-1 for Latin-1 text)"), body);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("""{"reference":"org_development/x","status":"DELIVRD","error_code":"\ud800"}""")]
    [InlineData("""{"reference":"org_development/x","status":"DELIVRD","error_code":"\udc00\ud800"}""")]
    [InlineData("""{"reference":"org_development/x","st\udfffatus":"DELIVRD"}""")]
    public async Task Receipt_UnpairedSurrogateEscape_Returns400(string receipt)
    {
        var (response, body) = await server.PostSignedAsync(CarrierReceiptEndpoint.Route, Encoding.UTF8.GetBytes(receipt));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "receipt body is not valid JSON"), body);
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task Inbound_BodyThatIsNotUtf8_Returns400()
    {
        var (response, body) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, Latin1Inbound(NewNumber(), "ARRÊT"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "inbound body is not valid UTF-8 (declare charset=iso-8859-1 for Latin-1 text)"), body);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("STOP\\ud800")]
    [InlineData("\\udbff")]
    public async Task Inbound_UnpairedSurrogateEscape_Returns400(string escapedText)
    {
        var inbound = $$"""{"from":"{{NewNumber()}}","to":"{{DevSeed.SenderNumber}}","text":"{{escapedText}}"}""";

        var (response, body) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, Encoding.UTF8.GetBytes(inbound));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "inbound body is not valid JSON"), body);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=ISO-8859-1")]
    [InlineData("application/json;charset=\"latin1\"")]
    public async Task Inbound_DeclaredLatin1_IsDecoded(string contentType)
    {
        var from = NewNumber();
        await server.RecordConsentRestAsync(from);

        // "STOP" and a no-break space (0xA0 in Latin-1, not UTF-8 on its own), which trimming drops.
        var (stop, stopBody) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, Latin1Inbound(from, "STOP\u00A0"), contentType);
        var (accented, accentedBody) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, Latin1Inbound(from, "ARRÊT"), contentType);

        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.True((bool)stopBody["data"]!["applied"]!, stopBody.ToJsonString());
        Assert.Equal("opt_out", (string)stopBody["data"]!["action"]!);
        Assert.Equal(HttpStatusCode.OK, accented.StatusCode);
        Assert.Equal("none", (string)accentedBody["data"]!["action"]!);
        Assert.Equal((453, "CONSENT_REQUIRED"), await server.SendRestAsync(from));
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=shift_jis")]
    public async Task Inbound_AnotherDeclaredCharset_Returns400(string contentType)
    {
        var (response, body) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, Encoding.UTF8.GetBytes(InboundBody(NewNumber(), "STOP")), contentType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", "inbound body charset must be utf-8 or iso-8859-1"), body);
    }

    [Fact]
    public async Task Inbound_StartReplayedAfterAStop_DoesNotResubscribe()
    {
        var from = NewNumber();
        await server.RecordConsentRestAsync(from);
        var start = Encoding.UTF8.GetBytes(InboundBody(from, "START"));
        var stop = Encoding.UTF8.GetBytes(InboundBody(from, "STOP"));
        var startedAt = SecondsAgo(2);

        await AssertInboundAsync(stop, SecondsAgo(3), applied: true);
        await AssertInboundAsync(start, startedAt, applied: true);
        await AssertInboundAsync(stop, SecondsAgo(1), applied: true);
        var (replay, replayBody) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, start, timestamp: startedAt);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        AssertJsonEqual(
            new System.Text.Json.Nodes.JsonObject { ["success"] = true, ["data"] = new System.Text.Json.Nodes.JsonObject { ["applied"] = false, ["action"] = "opt_in", ["keyword"] = "START", ["replayed"] = true } },
            replayBody);
        Assert.Equal((453, "CONSENT_REQUIRED"), await server.SendRestAsync(from));
        Assert.Equal("CONSENT_REQUIRED", await server.SendGrpcAsync(from));
    }

    [Fact]
    public async Task Receipt_ReplayedInsideTheWindow_Is200ReplayedAndNotAppliedAgain()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var receipt = Encoding.UTF8.GetBytes(ReceiptBody(id, "DELIVRD"));
        var at = Now();

        var (first, firstBody) = await server.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);
        var (again, againBody) = await server.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);
        var (resigned, resignedBody) = await server.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: SecondsAgo(5));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("""{"success":true,"data":{"applied":true}}""", firstBody.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("""{"success":true,"data":{"applied":false,"replayed":true}}""", againBody.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, resigned.StatusCode);
        Assert.Equal("""{"success":true,"data":{"applied":false}}""", resignedBody.ToJsonString());
        Assert.Equal("delivered", await server.StatusAsync(id));
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task Receipt_SignatureListedDifferently_IsStillTheSameRequest()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var receipt = ReceiptBody(id, "DELIVRD");
        var at = Now();
        var signature = Sign(ReceiptSecret, at, receipt);

        var (first, _) = await server.PostReceiptAsync(receipt, at, signature: signature);
        var (again, againBody) = await server.PostReceiptAsync(receipt, at, signature: $"v1={new string('0', 64)}, {signature.ToUpperInvariant().Replace("V1=", "v1=", StringComparison.Ordinal)}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True((bool)againBody["data"]!["replayed"]!);
    }

    [Fact]
    public async Task Receipt_WhoseApplicationFailed_IsAppliedWhenTheCarrierRetries()
    {
        await using var flaky = await TestServer.StartAsync(DeliverySupport.Settings(), services =>
        {
            services.AddSingleton<CarrierReceipts>();
            services.AddSingleton<ICarrierReceiptSink>(sp => new FailingOnceSink(sp.GetRequiredService<CarrierReceipts>()));
        });
        await SeedSimulatorConsentAsync(flaky);
        var id = await flaky.SendAsync(CarrierSimulator.NoReceiptNumber);
        await flaky.WaitForStatusAsync(id, "sent");
        var receipt = Encoding.UTF8.GetBytes(ReceiptBody(id, "UNDELIV", "unreachable"));
        var at = Now();

        var (failed, failedBody) = await flaky.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);
        var (retried, retriedBody) = await flaky.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("UNAVAILABLE", (string)failedBody["error"]!["code"]!);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("""{"success":true,"data":{"applied":true}}""", retriedBody.ToJsonString());
        Assert.Equal("undelivered", await flaky.StatusAsync(id));
    }

    /// <summary>An inbound body in Latin-1, as a carrier of old writes it: one byte per character, nothing escaped.</summary>
    private static byte[] Latin1Inbound(string from, string text) =>
        Encoding.Latin1.GetBytes($$"""{"from":"{{from}}","to":"{{DevSeed.SenderNumber}}","text":"{{text}}"}""");

    private async Task AssertInboundAsync(byte[] inbound, string timestamp, bool applied)
    {
        var (response, body) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, inbound, timestamp: timestamp);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(applied, (bool)body["data"]!["applied"]!);
        Assert.Null(body["data"]!["replayed"]);
    }

    private void AssertNoErrorLogged() => Assert.Empty(shared.Log.Errors);

    /// <summary>A delivery server with a known carrier secret and its log captured.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public TestServer Value { get; private set; } = null!;

        public CapturingLoggerProvider Log { get; } = new();

        public async ValueTask InitializeAsync()
        {
            Value = await TestServer.StartAsync(DeliverySupport.Settings(), services => services.AddSingleton<ILoggerProvider>(Log));
            await SeedSimulatorConsentAsync(Value);
        }

        public async ValueTask DisposeAsync() => await Value.DisposeAsync();
    }

    /// <summary>A state store that is down for the first receipt, as a Redis blip would be.</summary>
    private sealed class FailingOnceSink(ICarrierReceiptSink inner) : ICarrierReceiptSink
    {
        private int calls;

        public ValueTask<ReceiptOutcome> ApplyAsync(CarrierReceipt receipt, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref calls) == 1
                ? throw new StoreUnavailableException("Redis", TimeSpan.FromSeconds(1), new TimeoutException("test outage"))
                : inner.ApplyAsync(receipt, cancellationToken);
    }
}
