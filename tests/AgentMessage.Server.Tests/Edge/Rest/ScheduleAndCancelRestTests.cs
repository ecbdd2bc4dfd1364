using System.Net;
using AgentMessage.Core.Access;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>send_at, validity_period_seconds and POST /v1/messages/{id}:cancel on the REST face
/// (docs/API.md sections 5 and 9), with dispatch off so that messages wait.</summary>
public sealed class ScheduleAndCancelRestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task ScheduledSend_Returns202Scheduled_EchoingSendAtAndItsValidity()
    {
        var sendAt = DateTimeOffset.UtcNow.AddDays(1);

        var (response, body) = await server.SendRawAsync(ScheduleRequests.SendBody(sendAt, validityPeriodSeconds: 600));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var data = body["data"]!;
        Assert.Equal("scheduled", (string)data["status"]!);
        var millis = new DateTimeOffset(sendAt.UtcTicks - (sendAt.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", (string)data["send_at"]!);
        Assert.Equal(millis, Instant((string)data["send_at"]!));
        Assert.Equal(millis.AddSeconds(600), Instant((string)data["valid_until"]!));
        Assert.Equal($"/v1/messages/{(string)data["id"]!}", response.Header("Location"));
        AssertJsonEqual(data, await server.GetMessageAsync((string)data["id"]!));
    }

    [Fact]
    public async Task SendAtJustUnderSevenDaysAhead_AndValidityAtItsBounds_AreAccepted()
    {
        var (nearLimit, nearBody) = await server.SendRawAsync(ScheduleRequests.SendBody(DateTimeOffset.UtcNow.AddDays(7), validityPeriodSeconds: 14400));
        var (shortest, _) = await server.SendRawAsync(ScheduleRequests.SendBody(validityPeriodSeconds: 1));

        Assert.Equal(HttpStatusCode.Accepted, nearLimit.StatusCode);
        Assert.Equal("scheduled", (string)nearBody["data"]!["status"]!);
        Assert.Equal(HttpStatusCode.Accepted, shortest.StatusCode);
    }

    [Fact]
    public async Task ImmediateSend_HasNoSendAt_AndIsValidForTheDefaultFourHours()
    {
        var data = await server.SendAcceptedAsync(ScheduleRequests.SendBody());

        Assert.Equal("queued", (string)data["status"]!);
        Assert.Null(data["send_at"]);
        Assert.Equal(Instant((string)data["created_at"]!).AddHours(4), Instant((string)data["valid_until"]!));
    }

    [Theory]
    [InlineData(-3600, "must be in the future")]
    [InlineData(0, "must be in the future")]
    [InlineData(7 * 86400 + 60, "must be at most 7 days ahead")]
    public async Task SendAtOutOfRange_Returns422NamingSendAt(int secondsAhead, string problem)
    {
        var (response, body) = await server.SendRawAsync(ScheduleRequests.SendBody(DateTimeOffset.UtcNow.AddSeconds(secondsAhead)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["send_at"] = problem }), body);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(14401)]
    public async Task ValidityOutOfRange_Returns422NamingValidityPeriodSeconds(int seconds)
    {
        var (response, body) = await server.SendRawAsync(ScheduleRequests.SendBody(validityPeriodSeconds: seconds));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(
            ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["validity_period_seconds"] = "must be 1..14400" }),
            body);
    }

    [Fact]
    public async Task IdempotentSend_SendAtIsPartOfTheRequest_AndAbsentValidityIsTheDefault()
    {
        var sendAt = DateTimeOffset.UtcNow.AddHours(2);
        var key = $"schedule-{Guid.NewGuid():N}";

        var (first, firstBody) = await server.Rest.CallAsync(Keyed(ScheduleRequests.SendBody(sendAt), key));
        var (same, sameBody) = await server.Rest.CallAsync(Keyed(ScheduleRequests.SendBody(sendAt, validityPeriodSeconds: 14400), key));
        var (moved, movedBody) = await server.Rest.CallAsync(Keyed(ScheduleRequests.SendBody(sendAt.AddMinutes(1)), key));
        var (shorter, _) = await server.Rest.CallAsync(Keyed(ScheduleRequests.SendBody(sendAt, validityPeriodSeconds: 60), key));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.Equal("true", same.Header("Idempotent-Replayed"));
        Assert.Equal((string)firstBody["data"]!["id"]!, (string)sameBody["data"]!["id"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, moved.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", (string)movedBody["error"]!["code"]!);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, shorter.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CancelScheduled_WithOrWithoutABody_Returns200Canceled(bool withBody)
    {
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody(DateTimeOffset.UtcNow.AddHours(1))))["id"]!;

        var (response, body) = await server.CancelAsync(id, withBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)body["success"]!);
        Assert.Equal(id, (string)body["data"]!["id"]!);
        Assert.Equal("canceled", (string)body["data"]!["status"]!);
        Assert.False(response.Headers.Contains("Location"));
        Assert.Equal("canceled", await server.StatusAsync(id));
    }

    [Fact]
    public async Task CancelBare_WithoutContentType_IsAccepted()
    {
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/messages/{id}:cancel") { Content = new ByteArrayContent([]) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestServer.DevKey);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("canceled", (string)body["data"]!["status"]!);
    }

    [Fact]
    public async Task CancelWithANonObjectBody_Returns400()
    {
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/messages/{id}:cancel", TestServer.DevKey, "[1]"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BAD_REQUEST", (string)body["error"]!["code"]!);
        Assert.Equal("queued", await server.StatusAsync(id));
    }

    [Theory]
    [InlineData("3f1c2f4e-8a6b-4c1d-9e2f-0a1b2c3d4e5f")]
    [InlineData("not-a-uuid")]
    public async Task CancelUnknownOrMalformedId_Returns404(string id)
    {
        var (response, body) = await server.CancelAsync(id);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "NOT_FOUND", "message not found"), body);
    }

    [Fact]
    public async Task CancelAnotherOrganizationsMessage_Returns404()
    {
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        var otherKey = await server.AddOrganizationAsync($"org_{Guid.NewGuid():N}", Scopes.All);

        var (response, _) = await server.CancelAsync(id, key: otherKey);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("queued", await server.StatusAsync(id));
    }

    [Fact]
    public async Task CancelWithAReadOnlyKey_Returns403()
    {
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var (response, body) = await server.CancelAsync(id, key: readOnly);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("FORBIDDEN", (string)body["error"]!["code"]!);
        Assert.Equal("queued", await server.StatusAsync(id));
    }

    [Fact]
    public async Task ListMessages_AcceptsScheduledAndCanceledFilters()
    {
        var tag = $"filters-{Guid.NewGuid():N}";
        var scheduled = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody(DateTimeOffset.UtcNow.AddHours(1), tag: tag)))["id"]!;
        var canceled = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody(tag: tag)))["id"]!;
        await server.CancelAsync(canceled);

        var (_, scheduledList) = await server.Rest.CallAsync(Get($"/v1/messages?tag={tag}&status=scheduled", TestServer.DevKey));
        var (_, canceledList) = await server.Rest.CallAsync(Get($"/v1/messages?tag={tag}&status=canceled", TestServer.DevKey));
        var (bad, badBody) = await server.Rest.CallAsync(Get("/v1/messages?status=paused", TestServer.DevKey));

        Assert.Equal([scheduled], scheduledList["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Equal([canceled], canceledList["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal(
            "must be one of: queued, sending, sent, delivered, undelivered, failed, scheduled, canceled, received",
            (string)badBody["error"]!["details"]!["status"]!);
    }

    private static DateTimeOffset Instant(string rfc3339) => DateTimeOffset.Parse(rfc3339, System.Globalization.CultureInfo.InvariantCulture);

    private static HttpRequestMessage Keyed(string body, string key)
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, body);
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }
}
