using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentMessage.Server.Edge.Carrier.Simulator;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>POST /v1/carrier/receipts: who may post, and what a malformed receipt gets.</summary>
public sealed class CarrierReceiptEndpointTests(DeliveryServer shared) : IClassFixture<DeliveryServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task Receipt_SignedWithAnotherSecret_Returns401()
    {
        var id = await server.SendAsync(OrdinaryRecipient);

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "UNDELIV", "unreachable"), secret: "not-the-receipt-secret-000");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "invalid receipt signature"), body);
        Assert.NotEqual("undelivered", await server.StatusAsync(id));
    }

    [Fact]
    public async Task Receipt_WithATamperedBody_Returns401()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var timestamp = Now();
        var signature = Sign(ReceiptSecret, timestamp, ReceiptBody(id, "DELIVRD"));

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "UNDELIV"), timestamp, signature: signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "invalid receipt signature"), body);
        Assert.Equal("sent", await server.StatusAsync(id));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("1700000000", null)]
    [InlineData(null, "v1=00")]
    [InlineData("not-a-number", "v1=00")]
    [InlineData("NOW", "v2=abc")]
    [InlineData("NOW", "v1=zz")]
    public async Task Receipt_WithMissingOrMalformedHeaders_Returns401(string? timestamp, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/carrier/receipts") { Content = new StringContent(ReceiptBody(Guid.NewGuid().ToString("D"), "DELIVRD"), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (timestamp is not null)
        {
            request.Headers.Add("X-Carrier-Timestamp", timestamp == "NOW" ? Now() : timestamp);
        }

        if (signature is not null)
        {
            request.Headers.Add("X-Carrier-Signature", signature);
        }

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "invalid receipt signature"), body);
    }

    [Theory]
    [InlineData(-305)]
    [InlineData(305)]
    [InlineData(-3600)]
    public async Task Receipt_OutsideTheReplayWindow_Returns401(int offsetSeconds)
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var stale = DateTimeOffset.UtcNow.AddSeconds(offsetSeconds).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "DELIVRD"), stale);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "receipt timestamp outside the replay window"), body);
        Assert.Equal("sent", await server.StatusAsync(id));
    }

    [Fact]
    public async Task Receipt_InsideTheReplayWindow_IsAccepted()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var earlier = DateTimeOffset.UtcNow.AddSeconds(-240).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "DELIVRD"), earlier);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)body["data"]!["applied"]!);
    }

    [Fact]
    public async Task Receipt_WithOneMatchingSignatureAmongSeveral_IsAccepted()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");
        var timestamp = Now();
        var receipt = ReceiptBody(id, "DELIVRD");
        var signatures = $"{Sign("an-old-rotated-secret-0000", timestamp, receipt)}, {Sign(ReceiptSecret, timestamp, receipt)}";

        var (response, _) = await server.PostReceiptAsync(receipt, timestamp, signature: signatures);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("delivered", await server.StatusAsync(id));
    }

    [Theory]
    [InlineData("{not json", "receipt body is not valid JSON")]
    [InlineData("[]", "receipt body must be a JSON object")]
    [InlineData("""{"status":"DELIVRD"}""", "reference is required")]
    [InlineData("""{"reference":"org_development/x"}""", "status is required")]
    [InlineData("""{"reference":"no-slash","status":"DELIVRD"}""", "reference must be organization_id/message_id")]
    [InlineData("""{"reference":"a/b/c","status":"DELIVRD"}""", "reference must be organization_id/message_id")]
    [InlineData("""{"reference":"org_development/x","status":"SLEEPING"}""", "status must be one of: DELIVRD, UNDELIV, EXPIRED, REJECTD, ACCEPTD, UNKNOWN, DELETED, ENROUTE")]
    [InlineData("""{"reference":"org_development/x","status":"DELIVRD","occurred_at":"yesterday"}""", "occurred_at must be an RFC 3339 timestamp")]
    [InlineData("""{"reference":"org_development/x","status":7}""", "status must be a string")]
    public async Task Receipt_Malformed_Returns400(string receipt, string message)
    {
        var (response, body) = await server.PostReceiptAsync(receipt);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "BAD_REQUEST", message), body);
    }

    [Fact]
    public async Task Receipt_LargerThan64KiB_Returns413()
    {
        var receipt = $$"""{"reference":"org_development/x","status":"DELIVRD","error_code":"{{new string('x', 64 * 1024)}}"}""";

        var (response, body) = await server.PostReceiptAsync(receipt);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "PAYLOAD_TOO_LARGE", "receipt body must be at most 65536 bytes"), body);
    }

    [Fact]
    public async Task Receipt_WithGet_Returns405Envelope()
    {
        var (response, body) = await server.Rest.CallAsync(Get("/v1/carrier/receipts", null));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("METHOD_NOT_ALLOWED", (string)body["error"]!["code"]!);
    }
}
