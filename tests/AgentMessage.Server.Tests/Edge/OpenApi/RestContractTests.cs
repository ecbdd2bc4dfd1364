using System.Text.Json.Nodes;
using AgentMessage.Server.Edge.OpenApi;
using AgentMessage.V1;
using Google.Api;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Tests.Edge.OpenApi;

/// <summary>
/// The contract test: requests to a real server go through Prism, which checks every answer
/// against the served OpenAPI document (status, headers, body schema); an answer the document does
/// not describe fails. A success of every operation and its documented refusals go through it.
/// </summary>
public sealed class RestContractTests(ContractContext context) : IClassFixture<ContractContext>
{
    private const string WrongKey = "am_live_WrongKey000000000000000000000000";
    private const string WrongOperatorToken = "wrong-operator-token-0123456789abcdefgh";

    public static TheoryData<string> SpecificCases => new(RestContractCases.Specific.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(SpecificCases))]
    public async Task Case_ThroughTheValidatingProxy_AnswersAsTheDocumentSays(string name)
    {
        var @case = RestContractCases.Specific.Single(c => c.Name == name);
        if (RestContractCases.IsUnmapped(@case.Operation))
        {
            Assert.Skip($"{@case.Operation} is not served here (RestContractCases.Unmapped)");
        }

        using var request = await @case.Request(context);

        var failure = await context.CheckAsync(name, request, @case.Status, @case.Code);

        Assert.True(failure is null, failure + "\n" + context.Proxy.Tail);
    }

    [Fact]
    public async Task EveryOperation_WithAWrongCredential_Answers401AsDocumented()
    {
        var failures = new List<string?>();
        foreach (var operation in Operations())
        {
            var credential = operation.AdminOnly ? WrongOperatorToken : WrongKey;
            using var request = RestContractCases.Request(operation.Method, ContractContext.FillPath(operation.Path), credential, operation.HasBody ? new JsonObject() : null, null);
            failures.Add(await context.CheckAsync($"{operation.Id} 401", request, 401, "UNAUTHORIZED"));
        }

        AssertNone(failures);
    }

    [Fact]
    public async Task EveryApiKeyOperation_WithAKeyWithoutItsScope_Answers403AsDocumented()
    {
        var key = await context.Server.AddKeyAsync(scopes: []);
        var failures = new List<string?>();
        foreach (var operation in Operations().Where(o => !o.AdminOnly))
        {
            using var request = RestContractCases.Request(operation.Method, ContractContext.FillPath(operation.Path), key, operation.HasBody ? new JsonObject() : null, null);
            failures.Add(await context.CheckAsync($"{operation.Id} 403", request, 403, "FORBIDDEN"));
        }

        AssertNone(failures);
    }

    [Fact]
    public async Task EveryOperationWithABody_NotAnObjectOrTooLarge_Answers400And413AsDocumented()
    {
        var tooLarge = new JsonObject { ["text"] = new string('a', 70 * 1024) };
        var failures = new List<string?>();
        foreach (var operation in Operations().Where(o => o.HasBody))
        {
            var credential = operation.AdminOnly ? ContractContext.OperatorToken : TestServer.DevKey;
            using (var request = RestContractCases.Request(operation.Method, ContractContext.FillPath(operation.Path), credential, new JsonArray(), null))
            {
                failures.Add(await context.CheckAsync($"{operation.Id} 400", request, 400, "BAD_REQUEST"));
            }

            using (var request = RestContractCases.Request(operation.Method, ContractContext.FillPath(operation.Path), credential, tooLarge, null))
            {
                failures.Add(await context.CheckAsync($"{operation.Id} 413", request, 413, "PAYLOAD_TOO_LARGE"));
            }
        }

        AssertNone(failures);
    }

    [Fact]
    public void Cases_DriveEverySuccessAndEveryDocumentedRefusal_OrSayWhyNot()
    {
        var missing = new List<string>();
        foreach (var operation in Operations())
        {
            foreach (var status in operation.Statuses)
            {
                var generic = status is 401 or 400 or 413 || (status == 403 && !operation.AdminOnly);
                var driven = generic
                    || RestContractCases.Specific.Any(c => c.Operation == operation.Id && c.Status == status)
                    || RestContractCases.NotDriven.Any(n => (n.Operation == "*" || n.Operation == operation.Id) && n.Status == status);
                if (!driven)
                {
                    missing.Add($"{operation.Id} {status}");
                }
            }
        }

        foreach (var @case in RestContractCases.Specific.Where(c => !RestContractCases.IsUnmapped(c.Operation)))
        {
            if (!Operations().Any(o => o.Id == @case.Operation && o.Statuses.Contains(@case.Status)))
            {
                missing.Add($"{@case.Name}: a case of an answer the document does not list");
            }
        }

        Assert.True(missing.Count == 0, "add cases to RestContractCases.Specific (or a reason to NotDriven) for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Unmapped_NamesExactlyTheContractRpcsMissingFromTheDocument()
    {
        var documented = Operations().Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var method in ContractMethods())
        {
            var ids = OperationIds(method).ToList();
            var unmapped = RestContractCases.Unmapped.Contains(method.FullName);
            if (unmapped && ids.Any(documented.Contains))
            {
                problems.Add($"{method.FullName} is served now: remove it from RestContractCases.Unmapped and add its cases");
            }
            else if (!unmapped && !ids.All(documented.Contains))
            {
                problems.Add($"{method.FullName} ({string.Join(", ", ids)}) is not in the document");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void AssertNone(List<string?> failures)
    {
        var real = failures.OfType<string>().ToList();
        Assert.True(real.Count == 0, string.Join("\n\n", real));
    }

    private sealed record Operation(string Id, HttpMethod Method, string Path, bool HasBody, bool AdminOnly, IReadOnlyList<int> Statuses);

    private IEnumerable<Operation> Operations()
    {
        foreach (var (path, item) in context.Document["paths"]!.AsObject())
        {
            foreach (var (verb, node) in item!.AsObject())
            {
                var operation = node!.AsObject();
                yield return new Operation(
                    (string)operation["operationId"]!,
                    new HttpMethod(verb.ToUpperInvariant()),
                    path,
                    operation.ContainsKey("requestBody"),
                    operation.ContainsKey(RestOperationFilter.AdminOnlyExtension),
                    [.. operation["responses"]!.AsObject().Select(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture))]);
            }
        }
    }

    /// <summary>Every RPC of the contract with a REST binding, from the compiled descriptors.</summary>
    private static IEnumerable<MethodDescriptor> ContractMethods() =>
        typeof(MessagingService).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.Namespace == "AgentMessage.V1")
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!)
            .SelectMany(f => f.Services)
            .SelectMany(s => s.Methods)
            .Where(m => m.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not null);

    /// <summary>The operation ids the document gives an RPC's bindings (RestOperationFilter's rule).</summary>
    private static IEnumerable<string> OperationIds(MethodDescriptor method)
    {
        var rule = method.GetOptions().GetExtension(AnnotationsExtensions.Http);
        yield return method.Name;
        foreach (var binding in rule.AdditionalBindings)
        {
            var verb = RestContractCases.Route(binding).Verb;
            yield return $"{method.Name}Via{char.ToUpperInvariant(verb[0])}{verb[1..]}";
        }
    }
}
