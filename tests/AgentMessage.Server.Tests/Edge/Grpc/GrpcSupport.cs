using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Google.Rpc;
using Grpc.Core;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>Requests built from the development seed (docs/API.md section 10).</summary>
internal static class Requests
{
    public const string Sender = DevSeed.SenderNumber;
    public const string ConsentingRecipient = DevSeed.ConsentingRecipient;
    public const string LandlineRecipient = DevSeed.LandlineRecipient;

    /// <summary>The spec's example send, as a gRPC client writes it.</summary>
    public static SendMessageRequest SpecExample() => new()
    {
        From = Sender,
        To = ConsentingRecipient,
        Text = "hello from agentmessage",
        Priority = Priority.Default,
        Tag = "order-7421",
    };

    /// <summary>A valid SMS from the development organization's number to its consenting recipient.</summary>
    public static SendMessageRequest Valid(string? tag = null)
    {
        var request = new SendMessageRequest { From = Sender, To = ConsentingRecipient, Text = "hello" };
        if (tag is not null)
        {
            request.Tag = tag;
        }

        return request;
    }

    /// <summary>A tag no other test uses, so listings in a shared server see only this test's messages.</summary>
    public static string UniqueTag(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

/// <summary>Reads the error table's form off a gRPC failure (docs/API.md section 3).</summary>
internal static class RpcErrors
{
    /// <summary>A request id: a ULID, 26 characters of Crockford base32 (no I, L, O, U).</summary>
    public const string UlidPattern = "^[0-9A-HJKMNP-TV-Z]{26}$";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Asserts the status code, the status message, and ErrorInfo (reason, domain, request_id equal
    /// to the call's <c>x-request-id</c> metadata); returns the ErrorInfo for further checks.
    /// </summary>
    /// <param name="message">The expected status message; null to accept any.</param>
    public static ErrorInfo AssertError(RpcException exception, StatusCode code, string reason, string? message)
    {
        Assert.Equal(code, exception.StatusCode);
        var status = exception.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)code, status.Code);
        Assert.Equal(exception.Status.Detail, status.Message);
        if (message is not null)
        {
            Assert.Equal(message, exception.Status.Detail);
        }

        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(reason, info.Reason);
        Assert.Equal("agentmessage.io", info.Domain);
        Assert.Equal(RequestIdOf(exception.Trailers), info.Metadata["request_id"]);
        return info;
    }

    /// <summary>The call's <c>x-request-id</c>, asserted to be a ULID.</summary>
    public static string RequestIdOf(Metadata metadata)
    {
        var id = metadata.GetValue("x-request-id");
        Assert.NotNull(id);
        Assert.Matches(UlidPattern, id);
        return id;
    }

    /// <summary>BadRequest's field violations as field path to description.</summary>
    public static Dictionary<string, string> Violations(RpcException exception)
    {
        var badRequest = exception.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        return badRequest.FieldViolations.ToDictionary(v => v.Field, v => v.Description, StringComparer.Ordinal);
    }
}
